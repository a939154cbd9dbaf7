"""Static tables of the fictional city of Lancheng (澜城市): its units, departments and divisions.

Every name here is invented or generic.  The city, its districts and county-level cities do not
exist; the departments carry the standard names of a Chinese municipal government, because an
assessment office knows its units by those names.  Plain tuples, so that order is fixed and the
generator stays deterministic.
"""

from __future__ import annotations

CITY_NAME_ZH = "澜城市"
CITY_NAME_EN = "Lancheng"
OFFICE_NAME_ZH = "澜城市委市政府督查考核办公室"
OFFICE_NAME_EN = "Lancheng Assessment Office"

# (code, name_zh, name_en, parent_code)
CATEGORIES: tuple[tuple[str, str, str, str | None], ...] = (
    ("district", "区市", "Districts and county-level cities", None),
    ("department", "市直单位", "Municipal departments", None),
    ("dept_comprehensive", "综合部门", "Comprehensive departments", "department"),
    ("dept_economic", "经济部门", "Economic departments", "department"),
    ("dept_social", "社会部门", "Social departments", "department"),
    ("dept_party", "党群部门", "Party and mass-organisation departments", "department"),
)

# (code, name_zh, name_en, kind).  Invented names: none is a real district or city.
DISTRICTS: tuple[tuple[str, str, str, str], ...] = (
    ("D01", "澜湖区", "Lanhu District", "district"),
    ("D02", "望潮区", "Wangchao District", "district"),
    ("D03", "云岫区", "Yunxiu District", "district"),
    ("D04", "临澜区", "Linlan District", "district"),
    ("D05", "青屿区", "Qingyu District", "district"),
    ("D06", "鹭汀区", "Luting District", "district"),
    ("D07", "新澜区", "Xinlan District", "district"),
    ("D08", "珂泉市", "Kequan City", "county_city"),
    ("D09", "乐屿市", "Leyu City", "county_city"),
    ("D10", "棠溪市", "Tangxi City", "county_city"),
)

# Leadership posts of a district / county-level city: (title_zh, title_en, rank); "{x}" is
# 区 or 市 so that one table serves both kinds.
DISTRICT_LEADER_POSTS: tuple[tuple[str, str, str], ...] = (
    ("{x}长", "{X} Mayor", "head"),
    ("常务副{x}长", "Executive Deputy {X} Mayor", "deputy_head"),
)
# Every district has the office that reports its data to the city (its 考核联络员 sit there).
DISTRICT_DIVISION = ("{x}委{x}政府督查考核办公室", "{X} Assessment Office")

# Head title of a department: (title_zh, title_en, deputy_zh, deputy_en) per suffix of its name.
HEAD_TITLES: tuple[tuple[str, str, str, str, str], ...] = (
    ("纪委监委", "书记", "Secretary", "副书记", "Deputy Secretary"),
    ("政法委员会", "书记", "Secretary", "副书记", "Deputy Secretary"),
    ("市委", "书记", "Secretary", "副书记", "Deputy Secretary"),
    ("总工会", "主席", "Chair", "副主席", "Vice Chair"),
    ("妇女联合会", "主席", "Chair", "副主席", "Vice Chair"),
    ("委员会", "主任", "Director", "副主任", "Deputy Director"),
    ("办公室", "主任", "Director", "副主任", "Deputy Director"),
    ("部", "部长", "Head", "副部长", "Deputy Head"),
    ("局", "局长", "Director-General", "副局长", "Deputy Director-General"),
)

# (code, name_zh, name_en, category, deputies, divisions); a division is "name_zh|name_en".
# Each department starts with its general office; the others are its core divisions.
DEPARTMENTS: tuple[tuple[str, str, str, str, int, tuple[str, ...]], ...] = (
    # 综合部门
    (
        "DEPT_FGW",
        "市发展和改革委员会",
        "Development and Reform Commission",
        "dept_comprehensive",
        2,
        (
            "办公室|General Office",
            "发展规划处|Development Planning Division",
            "固定资产投资处|Fixed-Asset Investment Division",
            "资源节约和环境保护处|Energy Conservation and Environment Division",
        ),
    ),
    (
        "DEPT_CZJ",
        "市财政局",
        "Finance Bureau",
        "dept_comprehensive",
        2,
        (
            "办公室|General Office",
            "预算处|Budget Division",
            "国库处|Treasury Division",
            "税政处|Tax Policy Division",
        ),
    ),
    (
        "DEPT_TJJ",
        "市统计局",
        "Statistics Bureau",
        "dept_comprehensive",
        2,
        (
            "办公室|General Office",
            "国民经济核算处|National Accounts Division",
            "综合统计处|General Statistics Division",
            "固定资产投资统计处|Investment Statistics Division",
        ),
    ),
    (
        "DEPT_SJJ",
        "市审计局",
        "Audit Bureau",
        "dept_comprehensive",
        1,
        (
            "办公室|General Office",
            "财政审计处|Public Finance Audit Division",
            "经济责任审计处|Economic Accountability Audit Division",
        ),
    ),
    (
        "DEPT_RSJ",
        "市人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
        "dept_comprehensive",
        2,
        (
            "办公室|General Office",
            "就业促进处|Employment Promotion Division",
            "养老保险处|Pension Insurance Division",
        ),
    ),
    (
        "DEPT_SFJ",
        "市司法局",
        "Justice Bureau",
        "dept_comprehensive",
        1,
        (
            "办公室|General Office",
            "立法处|Legislative Affairs Division",
            "行政执法协调监督处|Law Enforcement Supervision Division",
        ),
    ),
    (
        "DEPT_ZFB",
        "市人民政府办公室",
        "General Office of the Municipal Government",
        "dept_comprehensive",
        2,
        (
            "秘书处|Secretariat",
            "综合调研处|Policy Research Division",
            "政务公开处|Government Information Division",
        ),
    ),
    (
        "DEPT_DSJ",
        "市大数据发展管理局",
        "Big Data Development Bureau",
        "dept_comprehensive",
        1,
        (
            "办公室|General Office",
            "数据资源处|Data Resources Division",
            "数字政府建设处|Digital Government Division",
        ),
    ),
    (
        "DEPT_JGSWJ",
        "市机关事务管理局",
        "Government Offices Administration",
        "dept_comprehensive",
        1,
        ("办公室|General Office", "公共机构节能处|Public Institutions Energy Division"),
    ),
    # 经济部门
    (
        "DEPT_GXJ",
        "市工业和信息化局",
        "Industry and Information Technology Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "运行监测协调处|Industrial Operation Monitoring Division",
            "产业发展处|Industrial Development Division",
            "数字经济处|Digital Economy Division",
        ),
    ),
    (
        "DEPT_SWJ",
        "市商务局",
        "Commerce Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "外资管理处|Foreign Investment Division",
            "对外贸易处|Foreign Trade Division",
            "市场运行和消费促进处|Consumption Promotion Division",
        ),
    ),
    (
        "DEPT_KJJ",
        "市科学技术局",
        "Science and Technology Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "高新技术处|High Technology Division",
            "科技计划处|Science Programmes Division",
        ),
    ),
    (
        "DEPT_ZRZYJ",
        "市自然资源和规划局",
        "Natural Resources and Planning Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "国土空间规划处|Spatial Planning Division",
            "耕地保护监督处|Farmland Protection Division",
        ),
    ),
    (
        "DEPT_ZJJ",
        "市住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "房地产市场监管处|Real Estate Market Division",
            "城市建设处|Urban Construction Division",
        ),
    ),
    (
        "DEPT_JTJ",
        "市交通运输局",
        "Transport Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "综合规划处|Comprehensive Planning Division",
            "建设管理处|Construction Management Division",
        ),
    ),
    (
        "DEPT_NYNCJ",
        "市农业农村局",
        "Agriculture and Rural Affairs Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "乡村产业发展处|Rural Industries Division",
            "农村合作经济指导处|Rural Cooperative Economy Division",
        ),
    ),
    (
        "DEPT_SLJ",
        "市水利局",
        "Water Resources Bureau",
        "dept_economic",
        1,
        (
            "办公室|General Office",
            "规划计划处|Planning Division",
            "水旱灾害防御处|Flood and Drought Defence Division",
        ),
    ),
    (
        "DEPT_SCJGJ",
        "市市场监督管理局",
        "Administration for Market Regulation",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "登记注册处|Business Registration Division",
            "食品安全协调处|Food Safety Coordination Division",
            "质量发展处|Quality Development Division",
        ),
    ),
    (
        "DEPT_GZW",
        "市人民政府国有资产监督管理委员会",
        "State-owned Assets Supervision and Administration Commission",
        "dept_economic",
        1,
        (
            "办公室|General Office",
            "产权管理处|Property Rights Division",
            "考核分配处|Performance and Remuneration Division",
        ),
    ),
    (
        "DEPT_STHJJ",
        "市生态环境局",
        "Ecology and Environment Bureau",
        "dept_economic",
        2,
        (
            "办公室|General Office",
            "大气环境处|Air Quality Division",
            "水生态环境处|Water Environment Division",
        ),
    ),
    (
        "DEPT_JRB",
        "市地方金融管理局",
        "Local Financial Administration",
        "dept_economic",
        1,
        ("办公室|General Office", "金融发展处|Financial Development Division"),
    ),
    # 社会部门
    (
        "DEPT_JYJ",
        "市教育局",
        "Education Bureau",
        "dept_social",
        2,
        (
            "办公室|General Office",
            "基础教育处|Basic Education Division",
            "职业教育处|Vocational Education Division",
            "教育督导处|Education Inspection Division",
        ),
    ),
    (
        "DEPT_WJW",
        "市卫生健康委员会",
        "Health Commission",
        "dept_social",
        2,
        (
            "办公室|General Office",
            "医政医管处|Medical Administration Division",
            "疾病预防控制处|Disease Control Division",
            "基层卫生健康处|Primary Health Care Division",
        ),
    ),
    (
        "DEPT_MZJ",
        "市民政局",
        "Civil Affairs Bureau",
        "dept_social",
        2,
        (
            "办公室|General Office",
            "社会救助处|Social Assistance Division",
            "养老服务处|Elderly Care Services Division",
        ),
    ),
    (
        "DEPT_GAJ",
        "市公安局",
        "Public Security Bureau",
        "dept_social",
        2,
        (
            "办公室|General Office",
            "治安管理支队|Public Order Division",
            "交通警察支队|Traffic Police Division",
        ),
    ),
    (
        "DEPT_WGLJ",
        "市文化广电旅游局",
        "Culture, Radio, Television and Tourism Bureau",
        "dept_social",
        2,
        (
            "办公室|General Office",
            "公共服务处|Public Cultural Services Division",
            "产业发展处|Tourism Industry Division",
        ),
    ),
    (
        "DEPT_TYJ",
        "市体育局",
        "Sports Bureau",
        "dept_social",
        1,
        ("办公室|General Office", "群众体育处|Public Fitness Division"),
    ),
    (
        "DEPT_YJGLJ",
        "市应急管理局",
        "Emergency Management Bureau",
        "dept_social",
        2,
        (
            "办公室|General Office",
            "安全生产综合协调处|Work Safety Coordination Division",
            "应急指挥处|Emergency Command Division",
        ),
    ),
    (
        "DEPT_YBJ",
        "市医疗保障局",
        "Healthcare Security Bureau",
        "dept_social",
        1,
        (
            "办公室|General Office",
            "待遇保障处|Benefits Division",
            "基金监管处|Fund Supervision Division",
        ),
    ),
    (
        "DEPT_TYJRJ",
        "市退役军人事务局",
        "Veterans Affairs Bureau",
        "dept_social",
        1,
        ("办公室|General Office", "移交安置处|Resettlement Division"),
    ),
    (
        "DEPT_ZHZFJ",
        "市综合行政执法局",
        "Comprehensive Administrative Law Enforcement Bureau",
        "dept_social",
        1,
        (
            "办公室|General Office",
            "市容环境卫生处|City Appearance and Sanitation Division",
            "执法监督处|Enforcement Supervision Division",
        ),
    ),
    # 党群部门
    (
        "DEPT_SWB",
        "市委办公室",
        "General Office of the Municipal Party Committee",
        "dept_party",
        2,
        (
            "秘书处|Secretariat",
            "综合处|Coordination Division",
            "机要处|Confidential Affairs Division",
        ),
    ),
    (
        "DEPT_ZZB",
        "市委组织部",
        "Organisation Department of the Municipal Party Committee",
        "dept_party",
        2,
        (
            "办公室|General Office",
            "干部处|Cadres Division",
            "组织处|Party Organisation Division",
            "公务员管理处|Civil Service Division",
        ),
    ),
    (
        "DEPT_XCB",
        "市委宣传部",
        "Publicity Department of the Municipal Party Committee",
        "dept_party",
        2,
        ("办公室|General Office", "理论处|Theory Division", "新闻处|News Division"),
    ),
    (
        "DEPT_TZB",
        "市委统战部",
        "United Front Work Department of the Municipal Party Committee",
        "dept_party",
        1,
        ("办公室|General Office", "经济处|Non-Public Economy Division"),
    ),
    (
        "DEPT_ZFW",
        "市委政法委员会",
        "Political and Legal Affairs Commission of the Municipal Party Committee",
        "dept_party",
        1,
        ("办公室|General Office", "平安建设处|Public Safety Development Division"),
    ),
    (
        "DEPT_JW",
        "市纪委监委",
        "Municipal Commission for Discipline Inspection and Supervisory Commission",
        "dept_party",
        2,
        (
            "办公室|General Office",
            "党风政风监督室|Conduct Supervision Office",
            "案件审理室|Case Hearing Office",
        ),
    ),
    (
        "DEPT_ZGH",
        "市总工会",
        "Federation of Trade Unions",
        "dept_party",
        1,
        ("办公室|General Office", "基层工作部|Grassroots Work Department"),
    ),
    (
        "DEPT_TSW",
        "共青团澜城市委",
        "Communist Youth League Lancheng Committee",
        "dept_party",
        1,
        ("办公室|General Office", "青年发展部|Youth Development Department"),
    ),
    (
        "DEPT_FL",
        "市妇女联合会",
        "Women's Federation",
        "dept_party",
        1,
        ("办公室|General Office", "妇女发展部|Women's Development Department"),
    ),
)

# Title of a division's chief by the suffix of the division's name.
CHIEF_TITLES: tuple[tuple[str, str, str], ...] = (
    ("室", "主任", "Director"),
    ("支队", "支队长", "Commander"),
    ("部", "部长", "Head"),
    ("处", "处长", "Division Chief"),
)

# Staff titles (title_zh, title_en) of the civil-service grades below division chief.
STAFF_TITLES: tuple[tuple[str, str], ...] = (
    ("一级主任科员", "Principal Staff Member, Grade 1"),
    ("二级主任科员", "Principal Staff Member, Grade 2"),
    ("四级主任科员", "Principal Staff Member, Grade 4"),
    ("一级科员", "Staff Member, Grade 1"),
)
