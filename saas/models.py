"""Imports every feature's models, for Alembic and the shell."""

from saas.audit.models import AuditEntry
from saas.auth.models import Account, ApiToken, Invitation, Role, User, UserSession
from saas.billing.models import PlanChange
from saas.customers.attributes import CustomerFieldValue, CustomerTag, CustomField, ListEntry
from saas.customers.models import Customer
from saas.mail.models import MailMessage
from saas.progress.models import JobRecord
from saas.tenancy.models import Plan, Tenant, TenantScoped

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "CustomField",
    "Customer",
    "CustomerFieldValue",
    "CustomerTag",
    "Invitation",
    "JobRecord",
    "ListEntry",
    "MailMessage",
    "Plan",
    "PlanChange",
    "Role",
    "Tenant",
    "TenantScoped",
    "User",
    "UserSession",
]
