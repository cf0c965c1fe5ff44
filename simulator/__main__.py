"""``python -m simulator [--host H] [--port P]``"""

from __future__ import annotations

import argparse

from simulator.config import Config
from simulator.server import make_server


def main() -> None:
    config = Config.from_env()
    parser = argparse.ArgumentParser(description="Local Seedance 2.0 API simulator")
    parser.add_argument("--host", default=config.host)
    parser.add_argument("--port", type=int, default=config.port)
    args = parser.parse_args()
    server = make_server(args.host, args.port, config)
    print(f"simulator listening on http://{args.host}:{server.server_port}", flush=True)
    if server.state.cdn_url:
        print(f"simulator serving results from {server.state.cdn_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
