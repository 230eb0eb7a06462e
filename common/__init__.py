"""Plain helpers shared by the ASGI edge, the intake and Django; they import no app."""
