"""Official status pages of catalogue services, with the components that are each service.

The URLs are the vendors' real public pages, for production; they were not fetched from here
(no internet): check a page still serves its format before relying on it. `fixture` names the
recorded copy in official/fixtures/ that tests and the demo serve from a local server.
"""

from __future__ import annotations

OFFICIAL_PAGES: list[dict] = [
    {
        "name": "OpenAI",
        "url": "https://status.openai.com/",
        "kind": "statuspage",
        "fixture": "openai",
        "services": {
            "chatgpt": ["ChatGPT"],
            "sora": ["Sora"],
            "openai-api": ["API"],
            "openai": [],
        },
    },
    {
        "name": "GitHub",
        "url": "https://www.githubstatus.com/",
        "kind": "statuspage",
        "fixture": "github",
        "services": {"github": []},
    },
    {
        "name": "Slack",
        "url": "https://slack-status.com/feed/rss",
        "kind": "feed",
        "fixture": "slack",
        "feed_path": "feed/rss",
        "services": {"slack": []},
    },
    {"name": "Discord", "url": "https://discordstatus.com/", "kind": "statuspage",
     "fixture": "", "services": {"discord": []}},
    {"name": "Reddit", "url": "https://www.redditstatus.com/", "kind": "statuspage",
     "fixture": "", "services": {"reddit": []}},
    {"name": "Cloudflare", "url": "https://www.cloudflarestatus.com/", "kind": "statuspage",
     "fixture": "", "services": {"cloudflare": []}},
    {"name": "Zoom", "url": "https://status.zoom.us/", "kind": "statuspage",
     "fixture": "", "services": {"zoom": []}},
    {"name": "Twitch", "url": "https://status.twitch.com/", "kind": "statuspage",
     "fixture": "", "services": {"twitch": []}},
    {"name": "Anthropic", "url": "https://status.anthropic.com/", "kind": "statuspage",
     "fixture": "", "services": {"claude": []}},
]  # fmt: skip

# The pages with a recorded copy (what the demo and the tests can poll without internet).
RECORDED_PAGES = [page for page in OFFICIAL_PAGES if page["fixture"]]
