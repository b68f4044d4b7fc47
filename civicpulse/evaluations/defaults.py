"""The default indicator templates of domain.md §4: version 1 of each kind.

Used by the data migration and, should an installation have none, by the service that needs one.
"""

TAGS = [
    {"key": "attitude", "name_zh": "服务态度不好", "name_en": "Poor attitude"},
    {"key": "slow", "name_zh": "办理速度慢", "name_en": "Too slow"},
    {"key": "repeated_visits", "name_zh": "多次跑动", "name_en": "Had to come more than once"},
    {"key": "unclear_notice", "name_zh": "告知不清楚", "name_en": "Unclear about what was needed"},
    {"key": "long_wait", "name_zh": "排队等候时间长", "name_en": "Long wait"},
    {"key": "system", "name_zh": "系统不好用", "name_en": "The system was hard to use"},
    {"key": "other", "name_zh": "其他", "name_en": "Other"},
]
OFFLINE = [
    {"key": "efficiency", "name_zh": "办事效率", "name_en": "Efficiency"},
    {"key": "service_level", "name_zh": "服务水平", "name_en": "Service level"},
    {"key": "attitude", "name_zh": "服务态度", "name_en": "Attitude"},
]
ONLINE = [
    {"key": "efficiency", "name_zh": "办事效率", "name_en": "Efficiency"},
    {"key": "guide_accuracy", "name_zh": "办事指南准确性", "name_en": "Guide accuracy"},
    {"key": "convenience", "name_zh": "办事便利度", "name_en": "Convenience"},
    {"key": "usability", "name_zh": "平台易用性", "name_en": "Platform usability"},
]

DEFAULTS = {"offline": OFFLINE, "online": ONLINE}
