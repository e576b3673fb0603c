"""Generic English text, generated from a small grammar, to pre-train the demo base model.

Nothing is downloaded: the text is made here, deterministically from a seed. It mixes
short stories, notes and everyday letters and emails (greetings, requests, thanks,
plans), so that a small model learns ordinary English and the shape of a letter, but
nothing about any particular user.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

NAMES = (
    "Anna Ben Clara Daniel Elena Frank Grace Henry Irene Jack Laura Martin Nina Oscar Paula"
    " Peter Rosa Sam Tom Vera Walter Julia Leo Maria Hugo Emma Lukas Sofia Adam Lena"
).split()
PLACES = (
    "Vienna Paris London Berlin Rome Madrid Lisbon Prague Zurich Boston Chicago Toronto"
    " Dublin Oslo Warsaw Munich Geneva Milan Seattle Denver"
).split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = (
    "January February March April May June July August September October November December"
).split()
PEOPLE = (
    "my colleague|the manager|our neighbour|the teacher|my sister|my brother|the doctor"
    "|the new student|our director|the driver|my friend|the engineer|the editor|the lawyer"
).split("|")
GROUPS = (
    "the students|the team|our guests|the children|my parents|the committee|the neighbours"
    "|the visitors|the engineers|our partners"
).split("|")
THINGS = (
    "the report|the letter|the book|the tickets|the keys|the contract|the photos|the plan"
    "|the budget|the schedule|the proposal|the slides|the invoice|the map|the recipe"
    "|the notes|the results|the draft|the package|the form|the paper|the data|the room"
    "|the application|the review|the account|the code|the agenda|the minutes|the slides"
).split("|")
PLACES_NEAR = (
    "at the station|in the garden|at the office|in the kitchen|at the library|near the river"
    "|in the old town|at the market|on the train|at the university|in the park|at home"
).split("|")
TIMES = (
    "this morning|last week|yesterday|on {day}|in {month}|next {day}|after lunch|tonight"
    "|at the end of the month|before the meeting|early on {day}|by {day}"
).split("|")
# (base, past, -ing); objects are things.
VERBS = (
    ("send", "sent", "sending"),
    ("read", "read", "reading"),
    ("check", "checked", "checking"),
    ("finish", "finished", "finishing"),
    ("bring", "brought", "bringing"),
    ("print", "printed", "printing"),
    ("find", "found", "finding"),
    ("review", "reviewed", "reviewing"),
    ("share", "shared", "sharing"),
    ("update", "updated", "updating"),
    ("sign", "signed", "signing"),
    ("prepare", "prepared", "preparing"),
)
ADJ = (
    "quiet busy long short lively careful friendly difficult simple useful important"
    " pleasant strange clear successful"
).split()
WEATHER = "sunny cold rainy warm windy grey lovely".split()
FEELINGS = "happy glad sorry pleased surprised tired relieved grateful".split()
EVENTS = (
    "the meeting|the dinner|the workshop|the trip|the party|the concert|the interview"
    "|the conference|the call|the visit|the lecture|the match|the seminar|the course"
    "|the project meeting|the defense|the exam|the reception"
).split("|")
GREETINGS = (
    "Dear {name},",
    "Hi {name},",
    "Hello {name},",
    "Good morning {name},",
    "Dear Prof. {name},",
    "Dear all,",
    "Hi all,",
)
CLOSINGS = ("Best regards,", "Kind regards,", "Best wishes,", "Thanks,", "Cheers,", "Yours,")


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return self.r.choice(options)

    def time(self) -> str:
        return self.pick(TIMES).format(day=self.pick(DAYS), month=self.pick(MONTHS))

    def who(self) -> str:
        return self.r.choice([self.pick(NAMES), self.pick(PEOPLE), self.pick(GROUPS), "we", "I"])

    def sentence(self) -> str:
        v = self.r.choice(VERBS)
        thing, event, adj = self.pick(THINGS), self.pick(EVENTS), self.pick(ADJ)
        options = [
            f"{self.who()} {v[1]} {thing} {self.time()}.",
            f"{self.time()}, {self.who()} {v[1]} {thing} {self.pick(PLACES_NEAR)}.",
            f"I think {event} was {adj}, but {self.who()} did not agree.",
            f"Could you please {v[0]} {thing} {self.time()}?",
            f"Thank you for {v[2]} {thing} so quickly.",
            f"We are going to {v[0]} {thing} {self.time()}.",
            f"{event.capitalize()} in {self.pick(PLACES)} was {adj} and everyone was"
            f" {self.pick(FEELINGS)}.",
            f"If {self.pick(NAMES)} has time, we will {v[0]} {thing} {self.time()}.",
            f"I was {self.pick(FEELINGS)} to hear about {event}.",
            f"The weather in {self.pick(PLACES)} was {self.pick(WEATHER)}, so we stayed"
            f" {self.pick(PLACES_NEAR)}.",
            f"{self.pick(NAMES)} said that {thing} would be ready {self.time()}.",
            f"Let me know if {self.pick(DAYS)} at {self.r.randint(8, 18)}:00 works for you.",
            f"There are {self.r.randint(2, 40)} people coming to {event}.",
            f"Please do not forget to {v[0]} {thing} before {event}.",
            "I hope you are doing well.",
            f"Thank you for your email about {event}.",
            f"I would be happy to {v[0]} {thing} {self.time()}.",
            f"Unfortunately, I cannot come to {event} {self.time()}, since I am traveling to"
            f" {self.pick(PLACES)}.",
            f"Please find {thing} attached.",
            f"It was great to see you at {event} {self.time()}!",
            f"Would it be possible to {v[0]} {thing} {self.time()}?",
            f"Sorry for the late reply; I was in {self.pick(PLACES)} {self.time()}.",
            f"Looking forward to {event}!",
            f"As discussed, {self.who()} will {v[0]} {thing} {self.time()}.",
            f"Do you have time for a short call {self.time()}?",
            f"I am afraid that {thing} is not ready yet.",
            f"Many thanks for {v[2]} {thing}.",
            "Please let me know if you have any questions.",
        ]
        text = self.pick(options)
        return text[0].upper() + text[1:]

    def paragraph(self, lo: int = 2, hi: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(self.r.randint(lo, hi)))

    def letter(self) -> str:
        to, me = self.pick(NAMES), self.pick(NAMES)
        body = "\n\n".join(self.paragraph(1, 3) for _ in range(self.r.randint(1, 3)))
        return f"{self.pick(GREETINGS).format(name=to)}\n\n{body}\n\n{self.pick(CLOSINGS)}\n{me}"

    def document(self) -> str:
        kind = self.r.random()
        if kind < 0.45:
            return self.letter()
        if kind < 0.8:
            return "\n\n".join(self.paragraph() for _ in range(self.r.randint(1, 3)))
        return "\n".join(f"- {self.sentence()}" for _ in range(self.r.randint(3, 6)))


def documents(count: int, seed: int = 0) -> Iterator[str]:
    """`count` generated documents (letters, stories, notes), the same for the same seed."""
    gen = _Gen(seed)
    for _ in range(count):
        yield gen.document()
