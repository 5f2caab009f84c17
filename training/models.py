"""Every feature's tables, imported together so Alembic sees the whole schema."""
from training.audit import AuditEvent  # noqa: F401
from training.auth.models import AccountToken, SupervisorAssignment, User, UserRole  # noqa: F401
from training.badges.models import BadgeHolder, IssuerKey, StatusList  # noqa: F401
from training.certificates.models import Certificate  # noqa: F401
from training.cohorts.models import (  # noqa: F401
    Attendance,
    CalendarFeed,
    Cohort,
    CohortMember,
    CohortSession,
    CohortTrainer,
    LiveTraining,
    TrainingCertificate,
)
from training.courses.models import (  # noqa: F401
    Course,
    CourseCompletion,
    CourseCredit,
    Module,
    ModuleCompletion,
    Reflection,
    TrainingCredit,
)
from training.credentials.models import Credential, Enrolment, Evidence  # noqa: F401
from training.jobs.models import Job, JobItem  # noqa: F401
from training.notifications.models import Notification, NotificationSetting  # noqa: F401
from training.quizzes.models import AttemptSlot, Question, Quiz, QuizAttempt  # noqa: F401
from training.reminders import ReminderLog  # noqa: F401
from training.supervision.models import (  # noqa: F401
    Attachment,
    HourEntry,
    SupervisionSession,
    WellbeingCheckIn,
)
