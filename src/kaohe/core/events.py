"""Typed domain events of the audit trail. Codes are stable: never renumber, only add."""

from __future__ import annotations

from enum import IntEnum

from django.utils.translation import gettext_lazy as _


class EventType(IntEnum):
    """Every kind of change the platform records, grouped by hundreds per area."""

    # access (1xx)
    USER_LOGGED_IN = 101
    USER_LOGIN_FAILED = 102
    USER_CREATED = 103
    USER_PASSWORD_CHANGED = 104
    USER_UPDATED = 105
    USER_PASSWORD_SET = 106
    GRANT_ADDED = 111
    GRANT_REVOKED = 112
    # units (2xx)
    CATEGORY_CREATED = 201
    UNIT_CREATED = 211
    UNIT_UPDATED = 212
    UNIT_MOVED = 213
    POST_CREATED = 221
    PERSON_CREATED = 231
    PERSON_ASSIGNED = 232
    CITY_MAP_UPLOADED = 241
    # indicators (3xx)
    INDICATOR_PROPOSED = 301
    INDICATOR_APPROVED = 302
    INDICATOR_REJECTED = 303
    INDICATOR_UPDATED = 304
    INDICATOR_RETIRED = 305
    INDICATOR_CREATED = 306
    # cycles and schemes (4xx)
    CYCLE_CREATED = 401
    CYCLE_ADVANCED = 402
    CYCLE_REOPENED = 405
    TIME_NODE_CREATED = 403
    TIME_NODE_LOCKED = 404
    SCHEME_CREATED = 411
    SCHEME_VERSION_CREATED = 412
    SCHEME_VERSION_UPDATED = 413
    SCHEME_VERSION_PUBLISHED = 414
    # observations (5xx)
    OBSERVATIONS_RECORDED = 501
    OBSERVATION_CORRECTED = 502
    EVIDENCE_ATTACHED = 503
    # results (6xx)
    SCORING_RUN_CREATED = 601
    SCORING_RUN_PUBLISHED = 602
    REPORT_MADE = 611
    # monitoring (8xx)
    MONITORING_RULE_SAVED = 801
    WARNING_RAISED = 811
    WARNING_ACKNOWLEDGED = 812
    WARNING_EXPLAINED = 813
    WARNING_RECTIFIED = 814
    WARNING_CLOSED = 815
    WARNING_REOPENED = 816
    # goals and targets (7xx)
    GOAL_SET_CREATED = 701
    GOAL_ADDED = 702
    GOAL_UPDATED = 703
    GOAL_REMOVED = 704
    GOAL_SET_SUBMITTED = 711
    GOAL_SET_APPROVED_AT_LEVEL = 712
    GOAL_SET_RETURNED = 713
    GOAL_SET_APPROVED = 714
    GOAL_PORTFOLIO_RULES_SET = 721
    GOAL_REVIEW_DEADLINE_SET = 722
    GOAL_REVIEW_REMINDERS_SENT = 723
    GOAL_DECOMPOSED = 731
    TARGET_SUGGESTIONS_COMPUTED = 741
    TARGET_SUGGESTION_ACCEPTED = 742
    TARGET_SUGGESTION_ADJUSTED = 743
    # interviews and rectification (10xx)
    RECTIFICATION_OPENED = 1001
    RECTIFICATION_PLAN_SUBMITTED = 1002
    RECTIFICATION_PLAN_RETURNED = 1003
    RECTIFICATION_PLAN_ACCEPTED = 1004
    RECTIFICATION_PROGRESS_REPORTED = 1005
    RECTIFICATION_CLOSED = 1006
    RECTIFICATION_REMINDERS_SENT = 1007
    COMMENDATIONS_ISSUED = 1011
    # surveys and the live rating event (11xx): codes, questionnaires, responses, results
    QUESTIONNAIRE_CREATED = 1101
    QUESTIONNAIRE_VERSION_CREATED = 1102
    SURVEY_CREATED = 1111
    SURVEY_QUOTA_SET = 1112
    SURVEY_OPENED = 1113
    SURVEY_CLOSED = 1114
    SURVEY_RESULTS_FED = 1115
    SURVEY_CODES_MADE = 1121
    SURVEY_RESPONSE_REVIEWED = 1131
    SURVEY_COMMENT_TO_RECTIFICATION = 1141
    # expert panels (12xx): panels, assignments, recusals, ratings
    PANEL_CREATED = 1201
    PANEL_MEMBER_ADDED = 1202
    PANEL_GOAL_ASSIGNED = 1203
    PANEL_ASSIGNMENT_WITHDRAWN = 1204
    PANEL_CONFLICT_DECLARED = 1205
    PANEL_RATING_SUBMITTED = 1206
    PANEL_CLOSED = 1207
    PANEL_SCORES_FED = 1208
    # assessing people (13xx): rules, ratings, staff runs, grades, rewards
    STAFF_RULE_SET = 1301
    STAFF_RATINGS_RECORDED = 1302
    STAFF_RUN_STORED = 1303
    STAFF_GRADES_PROPOSED = 1311
    STAFF_GRADES_CONFIRMED = 1312
    STAFF_GRADES_RETURNED = 1313
    REWARD_POOL_SET = 1321
    REWARD_POOL_CONFIRMED = 1322
    UPWARD_SURVEY_CREATED = 1331
    UPWARD_RATINGS_FED = 1332
    # key projects and major tasks (14xx): the register, progress, offensives, milestones
    PROJECT_REGISTERED = 1401
    PROJECT_CHANGED = 1402
    PROJECTS_IMPORTED = 1403
    PROJECT_PROGRESS_REPORTED = 1411
    PROJECT_SCHEDULE_CHECKED = 1412
    PROJECT_INVESTMENT_FED = 1413
    OFFENSIVE_CREATED = 1421
    OFFENSIVE_CHANGED = 1422
    MILESTONE_REPORTED = 1431
    MILESTONE_CONFIRMED = 1432
    MILESTONE_RETURNED = 1433
    # jobs: long work run by the workers (9xx)
    JOB_STARTED = 901
    JOB_SUCCEEDED = 902
    JOB_FAILED = 903
    JOB_REQUEUED = 904
    JOB_RETRIED = 905

    @property
    def label(self) -> str:
        return str(_LABELS[self])

    @classmethod
    def choices(cls) -> list[tuple[int, str]]:
        return [(member.value, _LABELS[member]) for member in cls]  # type: ignore[misc]


_LABELS = {
    EventType.USER_LOGGED_IN: _("logged in"),
    EventType.USER_LOGIN_FAILED: _("login failed"),
    EventType.USER_CREATED: _("user created"),
    EventType.USER_PASSWORD_CHANGED: _("password changed"),
    EventType.USER_UPDATED: _("user updated"),
    EventType.USER_PASSWORD_SET: _("password set by the administrator"),
    EventType.GRANT_ADDED: _("grant added"),
    EventType.GRANT_REVOKED: _("grant revoked"),
    EventType.CATEGORY_CREATED: _("category created"),
    EventType.UNIT_CREATED: _("unit created"),
    EventType.UNIT_UPDATED: _("unit updated"),
    EventType.UNIT_MOVED: _("unit moved"),
    EventType.POST_CREATED: _("post created"),
    EventType.PERSON_CREATED: _("person created"),
    EventType.PERSON_ASSIGNED: _("person assigned to a post"),
    EventType.CITY_MAP_UPLOADED: _("city map uploaded"),
    EventType.INDICATOR_PROPOSED: _("indicator proposed for admission"),
    EventType.INDICATOR_APPROVED: _("indicator admitted"),
    EventType.INDICATOR_REJECTED: _("indicator rejected"),
    EventType.INDICATOR_UPDATED: _("indicator updated"),
    EventType.INDICATOR_RETIRED: _("indicator retired"),
    EventType.INDICATOR_CREATED: _("indicator created"),
    EventType.CYCLE_CREATED: _("cycle created"),
    EventType.CYCLE_ADVANCED: _("cycle moved to its next stage"),
    EventType.CYCLE_REOPENED: _("cycle reopened"),
    EventType.TIME_NODE_CREATED: _("time node created"),
    EventType.TIME_NODE_LOCKED: _("time node locked"),
    EventType.SCHEME_CREATED: _("scheme created"),
    EventType.SCHEME_VERSION_CREATED: _("scheme version created"),
    EventType.SCHEME_VERSION_UPDATED: _("scheme draft edited"),
    EventType.SCHEME_VERSION_PUBLISHED: _("scheme version published"),
    EventType.OBSERVATIONS_RECORDED: _("values recorded"),
    EventType.OBSERVATION_CORRECTED: _("value corrected"),
    EventType.EVIDENCE_ATTACHED: _("evidence attached"),
    EventType.SCORING_RUN_CREATED: _("scoring run computed"),
    EventType.SCORING_RUN_PUBLISHED: _("scoring run published"),
    EventType.REPORT_MADE: _("report made"),
    EventType.QUESTIONNAIRE_CREATED: _("questionnaire created"),
    EventType.QUESTIONNAIRE_VERSION_CREATED: _("questionnaire version created"),
    EventType.SURVEY_CREATED: _("survey created"),
    EventType.SURVEY_QUOTA_SET: _("survey quota set"),
    EventType.SURVEY_OPENED: _("survey opened"),
    EventType.SURVEY_CLOSED: _("survey closed and its results frozen"),
    EventType.SURVEY_RESULTS_FED: _("survey results sent into the scheme"),
    EventType.SURVEY_CODES_MADE: _("access codes made"),
    EventType.SURVEY_RESPONSE_REVIEWED: _("flagged response reviewed"),
    EventType.SURVEY_COMMENT_TO_RECTIFICATION: _("survey comment made a rectification item"),
    EventType.COMMENDATIONS_ISSUED: _("commendations issued"),
    EventType.MONITORING_RULE_SAVED: _("monitoring rule saved"),
    EventType.WARNING_RAISED: _("warning raised"),
    EventType.WARNING_ACKNOWLEDGED: _("warning acknowledged"),
    EventType.WARNING_EXPLAINED: _("warning explained by the unit"),
    EventType.WARNING_RECTIFIED: _("warning rectified by the unit"),
    EventType.WARNING_CLOSED: _("warning closed"),
    EventType.WARNING_REOPENED: _("warning sent back to the unit"),
    EventType.GOAL_SET_CREATED: _("goal portfolio created"),
    EventType.GOAL_ADDED: _("goal added"),
    EventType.GOAL_UPDATED: _("goal changed"),
    EventType.GOAL_REMOVED: _("goal removed"),
    EventType.GOAL_SET_SUBMITTED: _("goals submitted for review"),
    EventType.GOAL_SET_APPROVED_AT_LEVEL: _("goals approved at a review level"),
    EventType.GOAL_SET_RETURNED: _("goals returned for revision"),
    EventType.GOAL_SET_APPROVED: _("goals finally approved"),
    EventType.GOAL_PORTFOLIO_RULES_SET: _("goal portfolio rules set"),
    EventType.GOAL_REVIEW_DEADLINE_SET: _("goal review deadline set"),
    EventType.GOAL_REVIEW_REMINDERS_SENT: _("goal review reminders sent"),
    EventType.GOAL_DECOMPOSED: _("goal decomposed to divisions and posts"),
    EventType.TARGET_SUGGESTIONS_COMPUTED: _("target suggestions computed"),
    EventType.TARGET_SUGGESTION_ACCEPTED: _("suggested target accepted"),
    EventType.TARGET_SUGGESTION_ADJUSTED: _("suggested target adjusted"),
    EventType.RECTIFICATION_OPENED: _("rectification item opened"),
    EventType.RECTIFICATION_PLAN_SUBMITTED: _("rectification plan submitted"),
    EventType.RECTIFICATION_PLAN_RETURNED: _("rectification plan returned"),
    EventType.RECTIFICATION_PLAN_ACCEPTED: _("rectification plan accepted"),
    EventType.RECTIFICATION_PROGRESS_REPORTED: _("rectification progress reported"),
    EventType.RECTIFICATION_CLOSED: _("rectification closed"),
    EventType.RECTIFICATION_REMINDERS_SENT: _("rectification reminders sent"),
    EventType.PANEL_CREATED: _("expert panel created"),
    EventType.PANEL_MEMBER_ADDED: _("expert added to a panel"),
    EventType.PANEL_GOAL_ASSIGNED: _("excellence goal assigned to experts"),
    EventType.PANEL_ASSIGNMENT_WITHDRAWN: _("panel assignment withdrawn"),
    EventType.PANEL_CONFLICT_DECLARED: _("expert declared a conflict of interest"),
    EventType.PANEL_RATING_SUBMITTED: _("expert rating submitted"),
    EventType.PANEL_CLOSED: _("expert panel closed"),
    EventType.PANEL_SCORES_FED: _("panel scores sent into the scheme"),
    EventType.STAFF_RULE_SET: _("staff assessment rule set"),
    EventType.STAFF_RATINGS_RECORDED: _("staff ratings recorded"),
    EventType.STAFF_RUN_STORED: _("staff run stored"),
    EventType.STAFF_GRADES_PROPOSED: _("staff grades proposed"),
    EventType.STAFF_GRADES_CONFIRMED: _("staff grades confirmed"),
    EventType.STAFF_GRADES_RETURNED: _("staff grades returned to the unit"),
    EventType.REWARD_POOL_SET: _("reward pool set"),
    EventType.REWARD_POOL_CONFIRMED: _("reward pool confirmed"),
    EventType.UPWARD_SURVEY_CREATED: _("upward survey created"),
    EventType.UPWARD_RATINGS_FED: _("upward ratings fed"),
    EventType.PROJECT_REGISTERED: _("key project registered"),
    EventType.PROJECT_CHANGED: _("key project changed"),
    EventType.PROJECTS_IMPORTED: _("key projects imported"),
    EventType.PROJECT_PROGRESS_REPORTED: _("project progress reported"),
    EventType.PROJECT_SCHEDULE_CHECKED: _("project schedules checked"),
    EventType.PROJECT_INVESTMENT_FED: _("project investment sent into the data"),
    EventType.OFFENSIVE_CREATED: _("major task created"),
    EventType.OFFENSIVE_CHANGED: _("major task changed"),
    EventType.MILESTONE_REPORTED: _("milestone reported done"),
    EventType.MILESTONE_CONFIRMED: _("milestone confirmed"),
    EventType.MILESTONE_RETURNED: _("milestone report returned"),
    EventType.JOB_STARTED: _("job started"),
    EventType.JOB_SUCCEEDED: _("job done"),
    EventType.JOB_FAILED: _("job failed"),
    EventType.JOB_REQUEUED: _("job queued again after its worker was lost"),
    EventType.JOB_RETRIED: _("job retried"),
}


def event_type_choices() -> list[tuple[int, str]]:
    """Choices of AuditEvent.event_type, as a callable so that a new event type needs no
    migration (the stored value is the stable integer code)."""
    return EventType.choices()
