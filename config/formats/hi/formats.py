# Django's own formats for this language, plus the Indian grouping (lakh, crore) that the
# browser's Intl.NumberFormat uses for it: 1,14,527, so server- and browser-written numbers agree.
from django.conf.locale.hi.formats import *  # noqa: F403

NUMBER_GROUPING = (3, 2, 0)
