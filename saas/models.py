"""Imports every feature's models, for Alembic and the shell."""

from saas.attachments.models import CustomerAttachment
from saas.audit.models import AuditEntry
from saas.auth.models import Account, ApiToken, Invitation, Role, User, UserSession
from saas.backups.models import Backup
from saas.billing.models import PlanChange
from saas.contacts.models import Contact, ContactEmail, ContactPhone, ContactRelation
from saas.customers.attributes import CustomerFieldValue, CustomerTag, CustomField, ListEntry
from saas.customers.models import Customer
from saas.customers.notes import CustomerNote
from saas.customers.pool_models import PoolEvent, PoolLevelRule, PoolSettings, PoolWarning
from saas.customers.prefs import ListPreference
from saas.customers.search import CustomerSearch
from saas.customers.segment_models import CustomerSegment
from saas.imports.models import ImportRow, ImportRun
from saas.mail.models import MailMessage
from saas.progress.models import JobRecord
from saas.tenancy.models import Plan, Tenant, TenantScoped

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "Backup",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "ContactRelation",
    "CustomField",
    "Customer",
    "CustomerAttachment",
    "CustomerFieldValue",
    "CustomerNote",
    "CustomerSearch",
    "CustomerSegment",
    "CustomerTag",
    "ImportRow",
    "ImportRun",
    "Invitation",
    "JobRecord",
    "ListEntry",
    "ListPreference",
    "MailMessage",
    "Plan",
    "PlanChange",
    "PoolEvent",
    "PoolLevelRule",
    "PoolSettings",
    "PoolWarning",
    "Role",
    "Tenant",
    "TenantScoped",
    "User",
    "UserSession",
]
