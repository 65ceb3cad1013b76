"""The demo: a small multilingual site that ships with thresher, served on 127.0.0.1."""

from thresher.demo.run import demo_config, run_demo
from thresher.demo.server import SITE_DIR, DemoServer

__all__ = ["SITE_DIR", "DemoServer", "demo_config", "run_demo"]
