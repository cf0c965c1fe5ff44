"""Simulator settings, read from the environment."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from studiolib.sizes import parse_overrides

DIALECTS = ("gateway", "ark", "relay")


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8001
    api_key: str = ""  # empty: any non-empty Bearer token is accepted
    speed: float = 1.0
    result_ttl: float = 86400.0
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="seedsim-")))
    public_url: str = ""
    # Results are served from this host name on a second port, as the provider serves them
    # from object storage on another host than its API (docs/provider.md); empty: from the
    # API host itself.
    cdn_host: str = "localhost"
    error_style: str = "openai"
    # How query answers look: "gateway" (the seed page's shape), "ark" (Volcengine Ark's own
    # task record) or "relay" (Ark's record in a gateway's {code, data} envelope).
    dialect: str = "gateway"
    # Tasks (and their files) are forgotten this long after they ended, as upstream does.
    retention_seconds: float = 7 * 86400.0
    # The studio's output-size overrides (SEEDANCE_OUTPUT_SIZES), so both agree.
    output_sizes: dict[int, dict[str, tuple[int, int]]] = field(default_factory=dict)
    faults: dict[str, float] = field(default_factory=dict)
    log: bool = False
    # Stock clips: one small clip per (duration, ratio, audio, last frame), shared by every
    # task, so thousands of tasks can be in flight without thousands of renders.
    stock: bool = False

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        config = cls(
            host=env.get("SIMULATOR_HOST", "127.0.0.1"),
            port=int(env.get("SIMULATOR_PORT", "8001")),
            api_key=env.get("SIMULATOR_API_KEY", ""),
            speed=float(env.get("SIMULATOR_SPEED", "1") or 1),
            result_ttl=float(env.get("SIMULATOR_RESULT_TTL", "86400") or 86400),
            public_url=env.get("SIMULATOR_PUBLIC_URL", ""),
            cdn_host=env.get("SIMULATOR_CDN_HOST", "localhost"),
            error_style=env.get("SIMULATOR_ERROR_STYLE", "openai"),
            dialect=env.get("SIMULATOR_DIALECT") or "gateway",
            retention_seconds=float(env.get("SIMULATOR_RETENTION_SECONDS") or 7 * 86400),
            output_sizes=parse_overrides(env.get("SEEDANCE_OUTPUT_SIZES", "")),
            faults=json.loads(env.get("SIMULATOR_FAULTS") or "{}"),
            log=env.get("SIMULATOR_LOG") == "1",
            stock=env.get("SIMULATOR_STOCK") == "1",
        )
        if config.dialect not in DIALECTS:
            raise SystemExit(f"SIMULATOR_DIALECT must be one of {', '.join(DIALECTS)}")
        if env.get("SIMULATOR_DATA_DIR"):
            config.data_dir = Path(env["SIMULATOR_DATA_DIR"])
            config.data_dir.mkdir(parents=True, exist_ok=True)
        return config
