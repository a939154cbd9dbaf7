"""Fictional Chinese personal names for the demo city's staff.

A name is a common surname (drawn with roughly its frequency among Chinese people) and one or two
given-name characters from gendered lists of common characters.  Any resemblance to a real
person is a coincidence of common names, which is why the lists hold only everyday characters.
"""

from __future__ import annotations

import numpy as np

# The most common surnames with their approximate share of the population (per mille), so that
# 王, 李, 张 come up about as often as in a real office.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71.5),
    ("李", 71.4),
    ("张", 68.5),
    ("刘", 53.3),
    ("陈", 45.4),
    ("杨", 30.8),
    ("黄", 22.2),
    ("赵", 20.2),
    ("吴", 19.8),
    ("周", 19.1),
    ("徐", 13.3),
    ("孙", 12.9),
    ("马", 12.1),
    ("朱", 11.7),
    ("胡", 11.5),
    ("郭", 11.0),
    ("何", 10.3),
    ("林", 10.0),
    ("高", 10.0),
    ("罗", 9.4),
    ("郑", 8.8),
    ("梁", 8.1),
    ("谢", 6.5),
    ("宋", 6.2),
    ("唐", 6.0),
    ("许", 5.9),
    ("韩", 5.5),
    ("邓", 5.4),
    ("冯", 5.4),
    ("曹", 5.2),
    ("彭", 5.1),
    ("曾", 4.8),
    ("肖", 4.8),
    ("田", 4.6),
    ("董", 4.6),
    ("潘", 4.2),
    ("袁", 4.1),
    ("蔡", 3.8),
    ("蒋", 3.7),
    ("余", 3.6),
    ("于", 3.6),
    ("杜", 3.5),
    ("叶", 3.4),
    ("程", 3.3),
    ("魏", 3.2),
    ("苏", 3.2),
    ("吕", 3.1),
    ("丁", 3.0),
    ("任", 3.0),
    ("沈", 2.9),
    ("姚", 2.8),
    ("卢", 2.8),
    ("钟", 2.7),
    ("姜", 2.7),
    ("崔", 2.6),
    ("谭", 2.6),
    ("陆", 2.5),
    ("汪", 2.4),
    ("范", 2.4),
    ("金", 2.3),
    ("方", 2.2),
    ("钱", 1.9),
    ("俞", 1.6),
)

GIVEN_MALE = "伟强磊军洋勇杰涛明超辉华建国志刚平斌宇浩鹏飞俊峰海波晨哲文博毅凯翔立新健诚"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲婷雪慧颖琳洁倩晶欣怡蕾璐佳悦瑶薇楠雯岚蓉萍燕红梅丹"


def draw_name(rng: np.random.Generator, gender: str, taken: set[str]) -> str:
    """A fictional name for ``gender`` ('M' or 'F') not yet in ``taken``; adds it there.

    Redrawing on a clash keeps the demo's people distinguishable in lists and log-ins; the draw
    order depends only on ``rng``, so the names are as deterministic as the seed.
    """
    surnames = [s for s, _ in SURNAMES]
    weights = np.array([w for _, w in SURNAMES])
    weights = weights / weights.sum()
    pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
    while True:
        surname = surnames[int(rng.choice(len(surnames), p=weights))]
        # Both one- and two-character given names are common among cadres; 3 in 10 single.
        # (A rough mix, not a statistic: enough that lists look like a real office.)
        length = 1 if rng.random() < 0.3 else 2
        given = "".join(pool[int(rng.integers(len(pool)))] for _ in range(length))
        if length == 2 and given[0] == given[1]:
            continue
        name = surname + given
        if name not in taken:
            taken.add(name)
            return name
