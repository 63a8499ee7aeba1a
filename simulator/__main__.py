"""python -m simulator [--host 127.0.0.1] [--port 8765] [--config FILE]"""

from __future__ import annotations

import argparse
import sys

from simulator import config
from simulator.server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="A local stand-in for Talkdesk's Schedule Event Import API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one")
    parser.add_argument("--config", help="JSON config (default: the packaged demo_config.json)")
    args = parser.parse_args(argv)
    try:
        settings = config.load(args.config)
    except config.ConfigError as error:
        print(f"simulator: bad configuration: {error}", file=sys.stderr)
        return 2
    try:
        server = SimulatorServer(settings, args.host, args.port)
    except OSError as error:
        print(f"simulator: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    # Tests read this exact line to learn the port.
    print(f"Talkdesk simulator listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
