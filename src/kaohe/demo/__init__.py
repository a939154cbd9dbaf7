"""The fictional demo city of Lancheng (澜城市): generated from a seed, calibrated on real data.

``kaohe.demo.generate.generate_demo_city(seed)`` returns a ``DemoCity`` (pure Python and numpy);
``kaohe.demo.load`` persists it with Django.  See ``docs/demo-city.md``.
"""
