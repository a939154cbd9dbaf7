"""The pure numerical core of Kaohe: numpy (and scipy) only, never Django or a database."""
