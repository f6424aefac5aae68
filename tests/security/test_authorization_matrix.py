"""The authorization matrix: every URL, every kind of user, every method, against a table.

The table below states what each kind of user gets from each URL pattern of the
project, for GET and POST (an empty POST: forms answer with their errors, action
buttons act). Every pattern is resolved from the URL configuration and filled
with real ids from one shared world (tests/security/world.py); each request is
rolled back, so every one sees the same records. A response that differs from
the table fails, and so does a URL pattern without a row, so a new page cannot
arrive without someone deciding who may open it.

Codes: 200, 302 (a redirect, not to a sign-in page), 400, 405, 503;
`in` a redirect to the staff sign-in, `pin` a redirect to the portal's sign-in;
404 the not-found page, which must be the very page (CSRF token aside) that
the same user gets for an address that does not exist: a refusal says nothing,
the admin's "no permission for this screen" included.

Kinds: anon; alice (the patron whose records the ids name); bob (another
patron); carol (the adult listed on minor Dan's account); one member of staff
per role (circ, ref, pic, guard, it, dir, aud), each with their second factor;
agent (a contracted agent assigned alice's account); root (a superuser with
no role, with a second factor).

Below the table: object-level cases (another patron's ids, a minor's birthday
of majority, an unassigned account, an expired order, a superuser without a
legal order) and users who have not given their second factor.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from library.security import TWO_FACTOR_ROLES
from privacy import services
from tests.conftest import StaffClient, page_text
from tests.factories import LegalOrderFactory, ReadingHistoryEntryFactory, StillFactory
from tests.security.conftest import outcome, send
from tests.security.urls import Route, address, project_routes
from tests.security.world import KINDS, MISSING_ID, ROLE_OF_KIND

pytestmark = pytest.mark.django_db

MATRIX = """

# Public pages and the staff start page
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
home
  *      200   200   200   200   200   200   200   200   200   200   200   200   200

# The patron portal (CONF-4, CONF-7, CONF-9)
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Portal pages show the signed-in patron's own record; staff have none (CONF-4).
portal:account
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
portal:login
  *      200   302   302   302   302   302   302   302   302   302   302   302   302
portal:logout
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST   pin   pin   pin   pin   pin   pin   pin   pin   pin   pin   pin   pin   pin
portal:password_reset
  *      200   200   200   200   200   200   200   200   200   200   200   200   200
portal:password_reset_done
  GET    200   200   200   200   200   200   200   200   200   200   200   200   200
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
portal:password_reset_confirm
  *      200   200   200   200   200   200   200   200   200   200   200   200   200
portal:password_reset_complete
  GET    200   200   200   200   200   200   200   200   200   200   200   200   200
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
# A patron's own login and contact details; staff and agents have none here.
portal:password_change
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
portal:password_change_done
  GET    pin   200   200   200   404   404   404   404   404   404   404   404   404
  POST   pin   405   405   405   404   404   404   404   404   404   404   404   404
portal:contact
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
# Only the adult listed on Dan's account, while Dan is a minor (CONF-4).
portal:minor_account
  *      pin   404   404   200   404   404   404   404   404   404   404   404   404
portal:consents
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
# Alice's consent: withdrawn by alice; to bob, a missing record.
portal:consent_withdraw
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST   pin   302   404   404   404   404   404   404   404   404   404   404   404
portal:access_history
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
portal:download
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
# The catalogue and holds: a patron's own holds and loans only (CONF-4).
portal:catalogue
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
portal:hold_place
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
# Alice's hold and loan: acted on by alice; to anyone else, a missing record.
portal:hold_cancel
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST   pin   302   404   404   404   404   404   404   404   404   404   404   404
portal:loan_renew
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST   pin   302   404   404   404   404   404   404   404   404   404   404   404
# Reading history is the holder's alone (CONF-9): every patron sees only their
# own (bob and carol keep none, so turning it off sends them back), staff,
# agents and the superuser get a missing record. A search posts and comes back
# at an address with a token.
portal:reading_history
  GET    pin   200   200   200   404   404   404   404   404   404   404   404   404
  POST   pin   302   302   302   404   404   404   404   404   404   404   404   404
portal:reading_history_on
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST   pin   302   302   302   404   404   404   404   404   404   404   404   404
# Whether emailed notices name the items: the holder's own choice (CONF-9).
portal:notice_items
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST   pin   302   302   302   404   404   404   404   404   404   404   404   404
portal:reading_history_off
  GET    pin   200   302   302   404   404   404   404   404   404   404   404   404
  POST   pin   302   302   302   404   404   404   404   404   404   404   404   404
portal:reading_history_clear
  GET    pin   200   200   200   404   404   404   404   404   404   404   404   404
  POST   pin   302   302   302   404   404   404   404   404   404   404   404   404
# Alice's entry: asked about, then deleted, by alice; to anyone else, a missing record.
portal:reading_history_entry_delete
  GET    pin   200   404   404   404   404   404   404   404   404   404   404   404
  POST   pin   302   404   404   404   404   404   404   404   404   404   404   404
portal:reading_history_csv
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404
portal:reading_history_json
  *      pin   200   200   200   404   404   404   404   404   404   404   404   404

# Public pages and the staff start page
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Any staff role; a superuser without a role has no staff pages.
staff_home
  *       in   404   404   404   200   200   200   200   200   200   200   404   404
# One's own second factor (library.authenticators): any staff role, and superusers
# (who need one too). An empty POST chooses nothing.
second_factor
  GET     in   404   404   404   200   200   200   200   200   200   200   404   200
  POST    in   404   404   404   400   400   400   400   400   400   400   404   400
# Enrolling others' authenticators, revoking their recovery codes: the role that
# manages logins (IT staff) and superusers.
logins_second_factor
  GET     in   404   404   404   404   404   404   404   200   404   404   404   200
  POST    in   404   404   404   404   404   404   404   400   404   404   404   400

# The staff admin
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# The admin opens to active staff with their second factor (superusers need one too).
admin:index
  *       in    in    in    in   200   200   200   200   200   200   200    in   200
admin:login
  GET    200   200   200   200   302   302   302   302   302   302   302   200   302
  POST   200   200   200   200   200   200   200   200   200   200   200   200   200
# Signing out of the admin takes a POST (Django 5) and shows the staff sign-in;
# non-staff go to the admin index.
admin:logout
  GET    302   302   302   302   405   405   405   405   405   405   405   302   405
  POST   302   302   302   302    in    in    in    in    in    in    in   302    in
admin:password_change
  *       in    in    in    in   200   200   200   200   200   200   200    in   200
admin:password_change_done
  GET     in    in    in    in   200   200   200   200   200   200   200    in   200
  POST    in    in    in    in   405   405   405   405   405   405   405    in   405
admin:autocomplete
  GET     in    in    in    in   404   404   404   404   404   404   404    in   404
  POST    in    in    in    in   405   405   405   405   405   405   405    in   405
admin:jsi18n
  GET     in    in    in    in   200   200   200   200   200   200   200    in   200
  POST    in    in    in    in   405   405   405   405   405   405   405    in   405
admin:view_on_site
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
# Accounts, roles, sign-in throttling and authenticators: the superuser administers them.
admin:auth_group_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:auth_group_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:auth_group_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:auth_group_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:auth_group_change
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
staff/admin/auth/group/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
# The ids name alice's portal login: patron logins are not the admin's to open or
# set a password for, the superuser's included (they are listed nowhere).
admin:auth_user_password_change
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:auth_user_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:auth_user_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:auth_user_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:auth_user_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:auth_user_change
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/auth/user/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:axes_accessattempt_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accessattempt_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:axes_accessattempt_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accessattempt_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accessattempt_change
  GET     in    in    in    in   404   404   404   404   404   404   404    in   200
  POST    in    in    in    in   404   404   404   404   404   404   404    in   302
staff/admin/axes/accessattempt/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:axes_accesslog_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accesslog_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:axes_accesslog_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accesslog_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accesslog_change
  GET     in    in    in    in   404   404   404   404   404   404   404    in   200
  POST    in    in    in    in   404   404   404   404   404   404   404    in   302
staff/admin/axes/accesslog/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:axes_accessfailurelog_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accessfailurelog_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:axes_accessfailurelog_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accessfailurelog_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:axes_accessfailurelog_change
  GET     in    in    in    in   404   404   404   404   404   404   404    in   200
  POST    in    in    in    in   404   404   404   404   404   404   404    in   302
staff/admin/axes/accessfailurelog/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
# No admin screen shows an authenticator's secret (OTP_ADMIN_HIDE_SENSITIVE_DATA).
admin:otp_totp_totpdevice_config
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:otp_totp_totpdevice_qrcode
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:otp_totp_totpdevice_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:otp_totp_totpdevice_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:otp_totp_totpdevice_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:otp_totp_totpdevice_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:otp_totp_totpdevice_change
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
staff/admin/otp_totp/totpdevice/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:library_branch_changelist
  *       in    in    in    in   200   200   200   200   200   200   200    in   200
admin:library_branch_add
  *       in    in    in    in   404   404   404   404   404   200   404    in   200
admin:library_branch_history
  *       in    in    in    in   200   200   200   200   200   200   200    in   200
admin:library_branch_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:library_branch_change
  GET     in    in    in    in   200   200   200   200   200   200   200    in   200
  POST    in    in    in    in   404   404   404   404   404   200   404    in   200
staff/admin/library/branch/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:library_staffprofile_changelist
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:library_staffprofile_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:library_staffprofile_history
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:library_staffprofile_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:library_staffprofile_change
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
staff/admin/library/staffprofile/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
# Gated admin screens: lists are scoped by the gate, each record opened through it
# (CONF-3); a role or superuser the gate refuses gets the not-found page.
admin:patrons_patron_changelist
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
# Writing patron records takes the role that registers patrons; a superuser's
# model permissions alone write nothing (CONF-3).
admin:patrons_patron_add
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:patrons_patron_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:patrons_patron_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:patrons_patron_change
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
staff/admin/patrons/patron/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:patrons_responsibleadult_changelist
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:patrons_responsibleadult_add
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:patrons_responsibleadult_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:patrons_responsibleadult_delete
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:patrons_responsibleadult_change
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
staff/admin/patrons/responsibleadult/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:privacy_identitycheck_changelist
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
admin:privacy_identitycheck_add
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:privacy_identitycheck_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:privacy_identitycheck_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:privacy_identitycheck_change
  GET     in    in    in    in   200   404   200   404   404   200   404    in   404
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/privacy/identitycheck/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:privacy_consent_changelist
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
# Consents come from the patron or the consent desk, never typed in or rewritten here.
admin:privacy_consent_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:privacy_consent_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:privacy_consent_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:privacy_consent_change
  GET     in    in    in    in   200   404   200   404   404   200   404    in   404
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/privacy/consent/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:circulation_loanrule_changelist
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_loanrule_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:circulation_loanrule_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_loanrule_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:circulation_loanrule_change
  GET     in    in    in    in   200   404   200   404   404   200   404    in   200
  POST    in    in    in    in   404   404   200   404   404   200   404    in   200
staff/admin/circulation/loanrule/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:circulation_bibliographicrecord_changelist
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
admin:circulation_bibliographicrecord_add
  *       in    in    in    in   404   404   200   404   404   200   404    in   200
admin:circulation_bibliographicrecord_history
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
admin:circulation_bibliographicrecord_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:circulation_bibliographicrecord_change
  GET     in    in    in    in   200   200   200   404   404   200   404    in   200
  POST    in    in    in    in   404   404   200   404   404   200   404    in   200
staff/admin/circulation/bibliographicrecord/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:circulation_item_changelist
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
admin:circulation_item_add
  *       in    in    in    in   404   404   200   404   404   200   404    in   200
admin:circulation_item_history
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
admin:circulation_item_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:circulation_item_change
  GET     in    in    in    in   200   200   200   404   404   200   404    in   200
  POST    in    in    in    in   404   404   200   404   404   200   404    in   200
staff/admin/circulation/item/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
# Loans and holds are read-only and never show the patron (CONF-9).
admin:circulation_loan_changelist
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_loan_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:circulation_loan_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_loan_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:circulation_loan_change
  GET     in    in    in    in   200   404   200   404   404   200   404    in   200
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/circulation/loan/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:circulation_hold_changelist
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_hold_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:circulation_hold_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_hold_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:circulation_hold_change
  GET     in    in    in    in   200   404   200   404   404   200   404    in   200
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/circulation/hold/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:circulation_fine_changelist
  *       in    in    in    in   200   404   200   404   404   200   404    in   200
admin:circulation_fine_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:circulation_fine_history
  *       in    in    in    in   200   404   200   404   404   200   404    in   404
admin:circulation_fine_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:circulation_fine_change
  GET     in    in    in    in   200   404   200   404   404   200   404    in   404
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/circulation/fine/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
# The audit trail: read-only, for auditors alone, not even a superuser.
admin:audit_auditentry_changelist
  *       in    in    in    in   404   404   404   404   404   404   200    in   404
admin:audit_auditentry_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:audit_auditentry_history
  *       in    in    in    in   404   404   404   404   404   404   200    in   404
admin:audit_auditentry_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:audit_auditentry_change
  GET     in    in    in    in   404   404   404   404   404   404   200    in   404
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/audit/auditentry/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
# Cameras: persons in charge and IT register them (CAM-1, CAM-2).
admin:facilities_camera_changelist
  *       in    in    in    in   404   404   200   200   200   200   404    in   200
admin:facilities_camera_add
  *       in    in    in    in   404   404   200   404   200   404   404    in   200
admin:facilities_camera_history
  *       in    in    in    in   404   404   200   200   200   200   404    in   200
admin:facilities_camera_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:facilities_camera_change
  GET     in    in    in    in   404   404   200   200   200   200   404    in   200
  POST    in    in    in    in   404   404   200   404   200   404   404    in   200
staff/admin/facilities/camera/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:facilities_footageorderscope_changelist
  *       in    in    in    in   404   404   404   404   404   200   404    in   200
admin:facilities_footageorderscope_add
  *       in    in    in    in   404   404   404   404   404   200   404    in   200
admin:facilities_footageorderscope_history
  *       in    in    in    in   404   404   404   404   404   200   404    in   200
admin:facilities_footageorderscope_delete
  *       in    in    in    in   404   404   404   404   404   404   404    in   200
admin:facilities_footageorderscope_change
  *       in    in    in    in   404   404   404   404   404   200   404    in   200
staff/admin/facilities/footageorderscope/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:facilities_recordinghold_changelist
  *       in    in    in    in   404   404   200   200   404   200   404    in   200
admin:facilities_recordinghold_add
  *       in    in    in    in   404   404   404   404   404   404   404    in   404
admin:facilities_recordinghold_history
  *       in    in    in    in   404   404   200   200   404   200   404    in   200
admin:facilities_recordinghold_delete
  *       in    in    in    in   404   404   404   404   404   200   404    in   200
admin:facilities_recordinghold_change
  GET     in    in    in    in   404   404   200   200   404   200   404    in   200
  POST    in    in    in    in   404   404   404   404   404   404   404    in   404
staff/admin/facilities/recordinghold/<path:object_id>/
  *       in    in    in    in   302   302   302   302   302   302   302    in   302
admin:app_list
  *       in    in    in    in   200   200   200   404   404   200   404    in   200
# Unknown admin addresses, readinghistoryentry included (never registered, CONF-9).
staff/admin/(?P<url>.*)$
  *       in    in    in    in   404   404   404   404   404   404   404    in   404

# Legal orders, agents, consents, inquiries (CONF-5, CONF-7)
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Every role lists the orders it works on; the director sees them all (CONF-5).
privacy:order_list
  *       in   404   404   404   200   200   200   200   200   200   200   404   404
privacy:order_create
  *       in   404   404   404   404   404   404   404   404   200   404   404   404
privacy:order_detail
  *       in   404   404   404   404   404   404   404   404   200   404   404   404
privacy:order_add_worker
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   404   404   404   302   404   404   404
# The empty POST goes back to the order with an error; a valid one downloads (CONF-5).
privacy:order_release
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   404   404   404   302   404   404   404
# The printable release: the order's workers while it is in force (the world's
# order names the director alone); the records are read again through the gate (CONF-5).
privacy:order_release_document
  GET     in   404   404   404   404   404   404   404   404   200   404   404   404
  POST    in   404   404   404   405   405   405   405   405   405   405   404   404
privacy:order_decide
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   404   404   404   302   404   404   404
privacy:agent_list
  *       in   404   404   404   404   404   404   404   404   200   404   404   404
privacy:agent_detail
  *       in   404   404   404   404   404   404   404   404   200   404   404   404
# Consents at the desk: registration roles (CONF-7, CONF-4).
privacy:consent_desk
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
# The inquiry desk: desk roles (not IT staff, not auditors).
privacy:inquiry_desk
  *       in   404   404   404   200   200   200   200   404   200   404   404   404

# Contracted agents' pages (CONF-7)
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Contracted agents only; everyone else, anonymous included, gets not found (CONF-7).
agent:accounts
  *      404   404   404   404   404   404   404   404   404   404   404   200   404
agent:account
  *      404   404   404   404   404   404   404   404   404   404   404   200   404

# Incidents, bans, cameras, footage (CONF-10, CAM-1 to CAM-6)
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
facilities:index
  *       in   404   404   404   200   200   200   200   200   200   200   404   404
# Incidents and bans: persons in charge, guards and the director (CONF-10). As on every
# staff page, a wrong method is refused before anything else, signed in or not.
facilities:incident_list
  *       in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:incident_create
  *       in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:incident_detail
  *       in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:incident_person_add
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:incident_police
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:ban_create
  *       in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:ban_list
  *       in   404   404   404   404   404   200   200   404   200   404   404   404
facilities:ban_end
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   302   302   404   302   404   404   404
# Registering a camera (POST) needs a role that adds cameras (CAM-1).
facilities:camera_list
  GET     in   404   404   404   404   404   200   200   200   200   404   404   404
  POST    in   404   404   404   404   404   200   404   200   404   404   404   404
# Footage: guards, persons in charge and IT view it (CAM-3); the director only
# releases it, and a superuser gets nothing.
facilities:recording_list
  *       in   404   404   404   404   404   200   200   200   200   404   404   404
facilities:recording_detail
  *       in   404   404   404   404   404   200   200   200   404   404   404   404
facilities:recording_file
  *       in   404   404   404   404   404   200   200   200   404   404   404   404
facilities:recording_hold
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   302   302   404   404   404   404   404
facilities:still_create
  *       in   404   404   404   404   404   200   200   404   404   404   404   404
# A still is shared with all staff while its ban is in effect (CAM-4).
facilities:stills_shared
  *       in   404   404   404   200   200   200   200   200   200   200   404   404
facilities:still_image
  *       in   404   404   404   200   200   200   200   200   200   200   404   404
# The director's queue of outside requests (CAM-5, CAM-6).
facilities:request_queue
  *       in   404   404   404   404   404   404   404   404   200   404   404   404
# Any staff member records an outside request for the director (CAM-6).
facilities:request_create
  *       in   404   404   404   200   200   200   200   200   200   404   404   404
facilities:request_release
  *       in   404   404   404   404   404   404   404   404   200   404   404   404
facilities:request_decline
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   404   404   404   404   404   302   404   404   404
facilities:release_create
  *       in   404   404   404   404   404   404   404   404   200   404   404   404

# The auditors' pages
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Auditors only; everyone else, anonymous included, gets not found. Read-only: GET.
audit:index
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:entries
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   302   404   404
audit:entries_export
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:patron_find
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   400   404   404
audit:patron_history
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:patron_history_export
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:staff
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:staff_activity
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:staff_activity_export
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:refused
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:refused_export
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:legal_releases
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:legal_releases_export
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:agent_reads
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:agent_reads_export
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404
audit:chart
  GET    404   404   404   404   404   404   404   404   404   404   200   404   404
  POST   404   404   404   404   404   404   404   404   404   404   405   404   404

# Circulation desk and found items (CONF-3, CONF-8)
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Circulation operations: circulation staff, persons in charge, the director (CONF-3).
# Every desk form is answered with a redirect, success or error (post/redirect/get).
circulation:desk
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_branch
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_checkin
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_patron
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:desk_checkout
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_renew
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_hold_place
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_hold_cancel
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_fine_pay
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_fine_waive
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_renew_all
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_loan_checkin
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:desk_fine_charge
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
# Slips: pages to print. The check-out receipt and the hold slip read the patron
# through the gate; a payment receipt opens only to the one who took the payment,
# on that day (the world has none).
circulation:desk_receipt
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
circulation:desk_hold_slip
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
# Holds in motion at a branch: the pull list and in-transit list name no patron;
# the hold shelf shows holders as the gate allows (CONF-3, CONF-9).
circulation:pull_list
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
circulation:in_transit
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
circulation:hold_shelf
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
circulation:desk_payment_receipt
  GET     in   404   404   404   404   404   404   404   404   404   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
# Loan rules: the roles given circulation.change_loanrule by the role table (persons
# in charge, the director); desk clerks only view rules through the admin. An empty
# POST gets the form again with its errors.
circulation:loan_rules
  GET     in   404   404   404   404   404   200   404   404   200   404   404   404
  POST   405   405   405   405   405   405   405   405   405   405   405   405   405
circulation:loan_rule_new
  *       in   404   404   404   404   404   200   404   404   200   404   404   404
circulation:loan_rule_edit
  *       in   404   404   404   404   404   200   404   404   200   404   404   404
# Registration (CONF-3, CONF-4): the roles that register patrons; the ids name alice,
# who has a login already (issuing another is refused with a message).
patrons:find
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
patrons:register
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
patrons:patron
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST    in   404   404   404   405   404   405   404   404   405   404   404   404
patrons:contact
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
patrons:desk_note
  GET     in   404   404   404   200   404   200   404   404   200   404   404   404
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
patrons:renew
  GET     in   404   404   404   405   404   405   404   404   405   404   404   404
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
patrons:block
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
patrons:unblock
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
patrons:login_issue
  GET     in   404   404   404   405   404   405   404   404   405   404   404   404
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
# Notice letters are desk work (CONF-3); marking none posted is a bad request.
notices:letters
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
notices:letters_print
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
notices:letters_sent
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   400   404   400   404   404   400   404   404   404
# The words of the notices: the person in charge's (library.roles).
notices:templates
  *       in   404   404   404   404   404   200   404   404   404   404   404   404
notices:template_edit
  *       in   404   404   404   404   404   200   404   404   404   404   404   404
circulation:found_list
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:found_tasks
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:found_detail
  *       in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:found_match_card
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:found_match_name
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:found_match_pick
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:found_contact
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   200   404   200   404   404   200   404   404   404
circulation:found_contact_done
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404
circulation:found_return
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   404   302   404   404   302   404   404   404

# Circulation statistics (issue 17): anonymous daily counts, suppressed (CONF-9); the
# roles that run the service see them, the guard, IT staff and auditors do not.
circulation:statistics
  GET     in   404   404   404   200   200   200   404   404   200   404   404   404
  POST    in   404   404   404   405   405   405   404   404   405   404   404   404
circulation:statistics_csv
  GET     in   404   404   404   200   200   200   404   404   200   404   404   404
  POST    in   404   404   404   405   405   405   404   404   405   404   404   404

# Computers, reference, events (CONF-6, FAC-2)
#       anon alice   bob carol  circ   ref   pic guard    it   dir   aud agent  root
# Computer sessions: circulation, reference, persons in charge, IT (FAC-2).
activity:computers
  *       in   404   404   404   200   200   200   404   200   404   404   404   404
activity:computers_lookup
  *       in   404   404   404   200   200   200   404   200   404   404   404   404
activity:computers_patron
  *       in   404   404   404   200   200   200   404   200   404   404   404   404
activity:computer_end
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   302   302   404   302   404   404   404   404
# Reference consultations: reference librarians and persons in charge.
activity:reference
  *       in   404   404   404   404   200   200   404   404   404   404   404   404
activity:reference_lookup
  *       in   404   404   404   404   200   200   404   404   404   404   404   404
activity:reference_patron
  *       in   404   404   404   404   200   200   404   404   404   404   404   404
# Events: circulation, reference, persons in charge.
activity:events
  *       in   404   404   404   200   200   200   404   404   404   404   404   404
activity:event
  *       in   404   404   404   200   200   200   404   404   404   404   404   404
activity:event_signup_cancel
  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
  POST    in   404   404   404   302   302   302   404   404   404   404   404   404
"""


def _parse(text: str) -> dict[str, dict[str, tuple[str, ...]]]:
    rows: dict[str, dict[str, tuple[str, ...]]] = {}
    key = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            key = line.strip()
            assert key not in rows, f"{key} has two rows"
            rows[key] = {}
            continue
        method, *codes = line.split()
        assert len(codes) == len(KINDS), f"{key} {method}: {len(codes)} codes, not {len(KINDS)}"
        for each in ("GET", "POST") if method == "*" else (method,):
            rows[key][each] = tuple(codes)
    return rows


TABLE = _parse(MATRIX)
ROUTES = project_routes()


def test_every_url_pattern_has_a_row_and_every_row_a_pattern():
    assert sorted(set(ROUTES) - set(TABLE)) == [], "URL patterns without a row in MATRIX"
    assert sorted(set(TABLE) - set(ROUTES)) == [], "rows in MATRIX for no URL pattern"
    assert all(set(row) == {"GET", "POST"} for row in TABLE.values())


@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_kind_gets_what_the_table_says(key, world, not_found_page):
    route = ROUTES.get(key)
    if route is None:
        pytest.fail(f"no URL pattern {key}")
    url = address(route, world)
    wrong = []
    for method, codes in TABLE[key].items():
        for kind, want in zip(KINDS, codes, strict=True):
            response, body = send(world.client(kind), method, url)
            got = outcome(response)
            if got != want:
                wrong.append(f"{method} {url} as {kind}: table says {want}, got {got}")
            elif got == "404" and body != not_found_page[kind]:
                wrong.append(f"{method} {url} as {kind}: a 404 unlike the not-found page")
    assert wrong == []


# Object-level cases: the right page, the wrong record.


def _signed_in(user: User) -> Client:
    client = StaffClient(raise_request_exception=False)
    client.force_login(user)
    return client


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _looks_missing(client: Client, method: str, url: str, missing_url: str) -> str:
    """Assert a refused address answers exactly as one naming no record; return the page."""
    send = client.get if method == "GET" else client.post
    refused, missing = send(url), send(missing_url)
    assert (refused.status_code, page_text(refused)) == (missing.status_code, page_text(missing))
    return page_text(refused)


def test_a_patron_with_another_patrons_ids_gets_what_a_missing_record_gets(world):
    bob, alice = _signed_in(world.users["bob"]), _signed_in(world.users["alice"])
    consent, dan = world.consent, world.dan
    page = _looks_missing(
        bob,
        "POST",
        f"/portal/consents/{consent.pk}/withdraw/",
        f"/portal/consents/{MISSING_ID}/withdraw/",
    )
    assert "Not found" in page
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    for other in (dan, world.alice):
        _looks_missing(bob, "GET", f"/portal/minors/{other.pk}/", f"/portal/minors/{MISSING_ID}/")
    _looks_missing(alice, "GET", f"/portal/minors/{dan.pk}/", f"/portal/minors/{MISSING_ID}/")
    assert dan.full_name not in page_text(alice.get("/portal/"))


def test_the_desk_cannot_act_on_one_patrons_records_from_anothers_card(world):
    desk = _signed_in(world.users["circ"])
    base = f"/staff/circulation/desk/patrons/{world.bob.pk}"

    def form(path: str, record_id: int) -> dict[str, str]:
        if path.startswith("loan/"):  # the loan is posted, not in the address
            return {"loan": str(record_id), **_charge(path, record_id)}
        if "pay" in path:
            return {f"pay-{record_id}-amount": "0.50", f"pay-{record_id}-method": "cash"}
        if "waive" in path:
            return {f"waive-{record_id}-reason": "staff_error"}
        return {}

    def _charge(path: str, record_id: int) -> dict[str, str]:
        if "charge" in path:
            return {f"charge-{record_id}-reason": "damaged", f"charge-{record_id}-amount": "1"}
        return {}

    for path, record in [
        ("loan/renew/", world.loan),
        ("loan/checkin/", world.loan),
        ("loan/charge/", world.loan),
        ("holds/{}/cancel/", world.hold),
        ("fines/{}/pay/", world.fine),
        ("fines/{}/waive/", world.fine),
    ]:
        # Each answer is a redirect to bob's page, which says why (post/redirect/get).
        refused = desk.post(f"{base}/{path.format(record.pk)}", form(path, record.pk), follow=True)
        missing = desk.post(
            f"{base}/{path.format(MISSING_ID)}", form(path, MISSING_ID), follow=True
        )
        assert (refused.status_code, page_text(refused)) == (
            missing.status_code,
            page_text(missing),
        )
        page = page_text(refused)
        assert "not on this card" in page and "Alice" not in page
    world.loan.refresh_from_db()
    world.fine.refresh_from_db()
    assert world.loan.renewals == 0 and world.fine.is_outstanding
    assert world.loan.returned_at is None and world.fine.payments.count() == 0
    assert type(world.hold).objects.filter(pk=world.hold.pk).exists()


def test_a_minors_account_closes_to_the_listed_adult_on_the_birthday_of_majority(world):
    dan = world.dan
    url, missing = f"/portal/minors/{dan.pk}/", f"/portal/minors/{MISSING_ID}/"
    birthday = _local_midnight(dan.majority_date)
    with time_machine.travel(birthday - datetime.timedelta(seconds=1), tick=False):
        carol = _signed_in(world.users["carol"])
        assert carol.get(url).status_code == 200
        assert dan.full_name in page_text(carol.get("/portal/"))
    with time_machine.travel(birthday, tick=False):
        carol = _signed_in(world.users["carol"])
        _looks_missing(carol, "GET", url, missing)
        assert dan.full_name not in page_text(carol.get("/portal/"))
    refusal = AuditEntry.objects.filter(object_id=dan.pk, decision="refused").latest()
    assert (refusal.purpose, refusal.clause) == ("guardian", "CONF-4")


def test_an_agent_reads_only_assigned_accounts_and_only_while_under_contract(world):
    agent = _signed_in(world.users["agent"])
    missing = f"/agent/{MISSING_ID}/"
    assert agent.get(f"/agent/{world.alice.pk}/").status_code == 200
    page = _looks_missing(agent, "GET", f"/agent/{world.bob.pk}/", missing)
    assert "Bob" not in page and world.bob.card_number not in page
    assert world.bob.card_number not in page_text(agent.get("/agent/"))
    day_after = world.agent.contract_end + datetime.timedelta(days=1)
    with time_machine.travel(_local_midnight(day_after), tick=False):
        agent = _signed_in(world.users["agent"])
        _looks_missing(agent, "GET", f"/agent/{world.alice.pk}/", missing)
        assert world.alice.card_number not in page_text(agent.get("/agent/"))


def test_an_order_past_its_expiry_releases_nothing_and_names_no_one(world):
    order, alice = world.order, world.alice
    circ = world.users["circ"]
    director = world.users["dir"]
    # Through the service, which also grants the worker the order's patrons.
    services.legal_order_add_worker(order=order, director=director, worker=circ)
    form = {"patron": alice.pk, "category": "circulation"}
    url, missing = (
        f"/staff/privacy/orders/{order.pk}/release/",
        (f"/staff/privacy/orders/{MISSING_ID}/release/"),
    )
    with time_machine.travel(order.expires_at - datetime.timedelta(seconds=1), tick=False):
        response = _signed_in(director).post(url, form)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        assert alice.full_name in page_text(
            _signed_in(circ).get(f"/staff/privacy/orders/{order.pk}/")
        )
    with time_machine.travel(order.expires_at, tick=False):
        client = _signed_in(director)
        refused, absent = client.post(url, form), client.post(missing, form)
        assert refused.status_code == absent.status_code == 404
        assert page_text(refused) == page_text(absent)
        worker_page = page_text(_signed_in(circ).get(f"/staff/privacy/orders/{order.pk}/"))
        assert alice.full_name not in worker_page and alice.card_number not in worker_page
    refusal = AuditEntry.objects.filter(object_id=alice.pk, purpose="legal_order").latest()
    assert (refusal.decision, refusal.clause) == ("refused", "CONF-5")


def test_a_superuser_without_a_legal_order_reads_no_reading_history_or_footage(world):
    alice, order = world.alice, world.order
    ReadingHistoryEntryFactory(patron=alice, item=world.item_out)
    order.categories = ["identity", "circulation", "reading_history"]
    order.save(update_fields=["categories"])
    unshared = StillFactory(incident=world.incident, recording=world.recording, ban=None)
    root = User.objects.create_superuser("root2", "root2@example.org", "x-long-password-1")
    director_root = User.objects.create_superuser("root3", "root3@example.org", "x-long-pw-3")
    director_root.groups.add(world.users["dir"].groups.get())
    form = {"patron": alice.pk, "category": "reading_history"}
    release, missing = (
        f"/staff/privacy/orders/{order.pk}/release/",
        (f"/staff/privacy/orders/{MISSING_ID}/release/"),
    )
    for user in (root, director_root):
        client = _signed_in(user)
        refused, absent = client.post(release, form), client.post(missing, form)
        assert refused.status_code == absent.status_code == 404
        assert page_text(refused) == page_text(absent)
        for path in ("recordings/{}/", "recordings/{}/file/"):
            _looks_missing(
                client,
                "GET",
                "/staff/facilities/" + path.format(world.recording.pk),
                "/staff/facilities/" + path.format(MISSING_ID),
            )
        _looks_missing(
            client,
            "GET",
            f"/staff/facilities/stills/{unshared.pk}/image/",
            f"/staff/facilities/stills/{MISSING_ID}/image/",
        )
        admin = client.get("/staff/admin/circulation/readinghistoryentry/")
        assert admin.status_code == 404
    refusal = AuditEntry.objects.filter(actor=director_root, purpose="legal_order").latest()
    assert (refusal.decision, refusal.clause) == ("refused", "CONF-9")
    assert not AuditEntry.objects.filter(
        actor__in=[root, director_root], category="footage", decision="allowed"
    ).exists()


def test_an_order_a_superuser_works_on_still_releases_only_within_its_scope(world):
    """The other side: the same superuser, a worker of an order in force, gets its records."""
    alice = world.alice
    director_root = User.objects.create_superuser("root4", "root4@example.org", "x-long-pw-4")
    director_root.groups.add(world.users["dir"].groups.get())
    order = LegalOrderFactory(patrons=[alice], received_by=director_root)
    order.workers.add(director_root)
    assign_perm("patrons.disclose_under_order", director_root, alice)
    client = _signed_in(director_root)
    url = f"/staff/privacy/orders/{order.pk}/release/"
    assert client.post(url, {"patron": alice.pk, "category": "circulation"}).status_code == 200
    # reading history is outside this order's categories: the form refuses it
    response = client.post(url, {"patron": alice.pk, "category": "reading_history"})
    assert outcome(response) == "302"


# Sensitive roles and superusers who have not given their second factor.

KIND_OF_ROLE = {role: kind for kind, role in ROLE_OF_KIND.items()}
SECOND_FACTOR_KINDS = sorted(KIND_OF_ROLE[role] for role in TWO_FACTOR_ROLES)


def _public(route: Route) -> bool:
    from library.declarations import Declaration, declaration_of

    return declaration_of(route.callback) is Declaration.PUBLIC


@pytest.mark.parametrize("kind", [*SECOND_FACTOR_KINDS, "root"])
def test_without_the_second_factor_every_page_but_the_public_ones_asks_for_it(world, kind):
    user = world.users[kind]
    client = Client(raise_request_exception=False)
    client.force_login(user)  # a password only: no authenticator code in this session
    wrong = []
    for key, route in ROUTES.items():
        if _public(route):
            continue
        url = address(route, world)
        # The check comes before any view runs, whatever the method; pages that
        # take only a POST are asked with one.
        method = "POST" if TABLE[key]["GET"][0] == "405" else "GET"
        response, _ = send(client, method, url)
        if outcome(response) != "in":
            wrong.append(f"{method} {url}: {outcome(response)}")
    assert wrong == []


def test_signing_in_on_the_portal_with_a_staff_user_name_skips_no_second_factor(world):
    client = Client(raise_request_exception=False)
    login = client.post(
        "/portal/login/", {"username": "director", "password": "correct-horse-battery"}
    )
    assert outcome(login) == "302"
    for url in ("/staff/", "/staff/circulation/desk/", "/staff/privacy/orders/", "/portal/"):
        assert outcome(client.get(url)) == "in"
