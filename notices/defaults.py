"""The library's first words for each notice, until the person in charge edits them.

The data migration notices/0002 makes a NoticeTemplate row of each; a kind and
channel with no row is sent with these words (notices.services). Items are
named only through `items`, which is empty unless the patron chose to have
items named and always empty in a letter (CONF-9); the words say how many.
"""

_ITEMS = "{% if items %}\n{% for title in items %}- {{ title }}\n{% endfor %}{% endif %}"

DEFAULTS: dict[str, tuple[str, str]] = {
    "pre_due": (
        "Library items due {{ due_date|date }}",
        "Dear {{ first_name }},\n\n"
        "{{ count }} item{{ count|pluralize }} you borrowed {{ count|pluralize:'is,are' }} due "
        "back on {{ due_date|date }}.\n" + _ITEMS + "\n"
        "You can renew online or at any library desk, unless another reader is waiting.\n\n"
        "Your library",
    ),
    "overdue_1": (
        "Library items overdue",
        "Dear {{ first_name }},\n\n"
        "{{ count }} item{{ count|pluralize }} due back on {{ due_date|date }} "
        "{{ count|pluralize:'is,are' }} now {{ days_overdue }} day{{ days_overdue|pluralize }} "
        "overdue.\n" + _ITEMS + "\n"
        "Please return or renew {{ count|pluralize:'it,them' }} soon.\n\nYour library",
    ),
    "overdue_2": (
        "Second notice: library items overdue",
        "Dear {{ first_name }},\n\n"
        "{{ count }} item{{ count|pluralize }} due back on {{ due_date|date }} "
        "{{ count|pluralize:'is,are' }} now {{ days_overdue }} days overdue.\n" + _ITEMS + "\n"
        "Please return {{ count|pluralize:'it,them' }} as soon as you can.\n\nYour library",
    ),
    "overdue_3": (
        "Final notice: library items overdue",
        "Dear {{ first_name }},\n\n"
        "{{ count }} item{{ count|pluralize }} due back on {{ due_date|date }} "
        "{{ count|pluralize:'is,are' }} now {{ days_overdue }} days overdue. This is our "
        "last notice: please return {{ count|pluralize:'it,them' }} or ask at a library desk "
        "about a replacement charge.\n" + _ITEMS + "\nYour library",
    ),
    "hold_ready": (
        "A hold is ready for you",
        "Dear {{ first_name }},\n\n"
        "{% if items %}{{ items.0 }} is{% else %}An item you placed a hold on is{% endif %} "
        "ready for you at {{ pickup_branch }}. It is kept for you until "
        "{{ ready_until|date }}.\n\nYour library",
    ),
    "hold_expired": (
        "A hold was not collected",
        "Dear {{ first_name }},\n\n"
        "{% if items %}{{ items.0 }} was{% else %}An item you placed a hold on was{% endif %} "
        "not collected in time and is no longer kept for you. You are welcome to place a "
        "new hold.\n\nYour library",
    ),
    "card_expiring": (
        "Your library card expires soon",
        "Dear {{ first_name }},\n\n"
        "Your library card expires on {{ card_expires_on|date }}. Renew it at any library "
        "desk to keep borrowing.\n\nYour library",
    ),
}

# A letter never names items (CONF-9): a household may open it.
LETTER_BODIES: dict[str, str] = {
    "hold_ready": (
        "Dear {{ name }},\n\n"
        "An item you placed a hold on is ready for you at {{ pickup_branch }}. It is kept "
        "for you until {{ ready_until|date }}.\n\nYour library"
    ),
    "hold_expired": (
        "Dear {{ name }},\n\n"
        "An item you placed a hold on was not collected in time and has gone back on the "
        "shelf. You are welcome to place a new hold.\n\nYour library"
    ),
}


def default_words(kind: str, channel: str) -> tuple[str, str]:
    """Return the default subject and body of one kind of notice on one channel."""
    subject, body = DEFAULTS[kind]
    if channel == "letter":
        body = LETTER_BODIES.get(kind, body.replace("{{ first_name }}", "{{ name }}"))
    return subject, body
