"""Put every front-end file the dashboard needs into solara's cache folder, so it works offline.

solara-assets ships vega@5.21.0, vega-lite@5.2.0 and vega-embed@6.20.2, but solara asks for the folder
names vega@5, vega-lite@5 and vega-embed@6: an alias (symlink) per name fixes altair charts with no
network (see docs/DASHBOARD.md, "Offline"). Idempotent.
"""

from __future__ import annotations

import sys
from pathlib import Path

ALIASES = {"vega@5": "vega@", "vega-lite@5": "vega-lite@", "vega-embed@6": "vega-embed@"}


def cache_dir() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def main() -> int:
    cdn = cache_dir()
    if not cdn.is_dir():
        print(f"solara asset cache {cdn} is missing: is solara[assets] installed?", file=sys.stderr)
        return 1
    for alias, prefix in ALIASES.items():
        link = cdn / alias
        if link.exists():
            continue
        versions = sorted(p for p in cdn.iterdir() if p.name.startswith(prefix) and p.name != alias)
        if not versions:
            print(f"no {prefix}* folder in {cdn}", file=sys.stderr)
            return 1
        link.symlink_to(versions[-1].name)
    print(f"solara assets ready in {cdn}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
