"""Who the sample persona is and what she writes about (all invented)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    name: str
    first: str
    address: str
    alias: str
    phone: str
    meeting_link: str
    title: str


PERSONA = Persona(
    name="Ada Whitfield",
    first="Ada",
    address="ada@whitfield.example",
    alias="ada.whitfield@lab.example",
    phone="+1 555 0142",
    meeting_link="https://meet.example/ada-office-hours",
    title="Research Lead, Harbor Lab",
)

CONTACTS = (
    ("Tom", "tom@partner.example"),
    ("Priya", "priya@university.example"),
    ("Marco", "marco@vendor.example"),
    ("Lena", "lena@harbor.example"),
    ("Sam", "sam@conference.example"),
    ("Grace", "grace@funding.example"),
)

GREETINGS = ("Hi {name},", "Dear {name},", "Hello {name},", "{name},")
CLOSINGS = (
    "Best,\nAda",
    "Cheers,\nAda",
    "Best regards,\nAda",
    "Thanks,\nAda",
    "All the best,\nAda",
)

# (subject, body paragraphs); {link}, {phone}, {day} are filled in.
TOPICS = (
    (
        "Project sync",
        "Could we move our weekly sync to {day}? The usual link works: {link}",
        "I will bring the updated numbers for the calibration runs.",
    ),
    (
        "Invitation to speak",
        "Thank you so much for the invitation. Unfortunately I cannot travel in {month},"
        " but I would be happy to give an online talk instead.",
        "Let me know which dates would work for your audience.",
    ),
    (
        "Draft review",
        "I read through the draft last night and left comments in the margins.",
        "The second section is strong; the evaluation needs one more baseline"
        " before we send it out.",
    ),
    (
        "Visit next month",
        "We would love to host you at the lab in {month}. I can arrange a room"
        " and a short tour of the new cluster.",
        "If you prefer to call first, my number is {phone}.",
    ),
    (
        "Budget question",
        "Quick question about the travel budget: is the conference fee covered"
        " by the grant, or should it come from the department?",
        "I need to book by {day}, so an answer this week would help a lot.",
    ),
    (
        "Intern applications",
        "We received twelve applications for the summer internship and I have"
        " shortlisted four of them.",
        "Could you join the interviews on {day} afternoon? I will send the CVs today.",
    ),
    (
        "Office hours",
        "My office hours this term are on {day} from two to four.",
        "Students can also join remotely via {link}.",
    ),
    (
        "Dataset access",
        "Thanks for sharing the dataset. I signed the usage agreement and attached"
        " it to this email.",
        "We will only use it for the benchmark study and delete it afterwards.",
    ),
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = ("March", "May", "June", "September", "October", "December")

GERMAN = (
    "Vielen Dank für Ihre Nachricht. Ich melde mich nächste Woche bei Ihnen,"
    " sobald ich die Unterlagen geprüft habe."
)
FRENCH = (
    "Merci beaucoup pour votre invitation. Malheureusement je ne pourrai pas être"
    " présente la semaine prochaine, mais je serais ravie de participer en ligne."
)
SHORT = ("Thanks!", "Sounds good.", "Will do.", "Great, thanks a lot")
INCOMING = (
    "Are you free to meet next week? We would like to go over the plan.",
    "Could you send me the latest version of the report?",
    "Just a reminder about the deadline on Friday.",
)
