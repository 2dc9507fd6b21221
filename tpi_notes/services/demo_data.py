"""Made-up people, clinical profiles and syringe recipes for the demo clinic (no real patients)."""

from __future__ import annotations

from tpi_notes.domain import password_policy

# (family, given, sex, language) pools by origin; the demo mixes them so that names in Latin with
# accents, Vietnamese, Cyrillic and Greek all appear.
FIXED_PATIENTS = (
    ("Nguyễn", "Thị Ánh", "female", "en"),
    ("Ødegård", "Øyvind", "male", "en"),
    ("Петрова", "Ирина", "female", "en"),
)

NAME_POOLS = {
    "english": (
        ("Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "Thomas",
         "Moore", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen",
         "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell"),
        (("James", "male"), ("Mary", "female"), ("Robert", "male"), ("Patricia", "female"), ("John", "male"),
         ("Jennifer", "female"), ("Michael", "male"), ("Linda", "female"), ("David", "male"),
         ("Elizabeth", "female"), ("William", "male"), ("Barbara", "female"), ("Richard", "male"),
         ("Susan", "female"), ("Joseph", "male"), ("Jessica", "female"), ("Karen", "female"),
         ("Daniel", "male"), ("Nancy", "female"), ("Mark", "male"), ("Emily", "female"), ("Sam", "other")),
        "en",
    ),
    "spanish": (
        ("García", "Martínez", "Rodríguez", "López", "Hernández", "González", "Pérez", "Sánchez", "Ramírez",
         "Núñez", "Muñoz", "Ibáñez", "Castañeda", "Peña", "Ordóñez", "Jiménez"),
        (("José", "male"), ("María", "female"), ("Ángel", "male"), ("Lucía", "female"), ("Andrés", "male"),
         ("Begoña", "female"), ("Iñigo", "male"), ("Sofía", "female"), ("Raúl", "male"), ("Inés", "female")),
        "es",
    ),
    "german_nordic_french": (
        ("Müller", "Weiß", "Strauß", "Groß", "Schäfer", "Søndergaard", "Bjørnstad", "Lefèvre", "Dubois",
         "Girard", "Brønner", "Kühn"),
        (("Jürgen", "male"), ("Jörg", "male"), ("Grete", "female"), ("Søren", "male"), ("Åse", "female"),
         ("Hélène", "female"), ("Étienne", "male"), ("Zoë", "female"), ("Björn", "male"), ("Léa", "female")),
        "en",
    ),
    "vietnamese": (
        ("Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ"),
        (("Văn Hùng", "male"), ("Thị Hương", "female"), ("Minh Tuấn", "male"), ("Thu Hằng", "female"),
         ("Quốc Bảo", "male"), ("Ngọc Lan", "female")),
        "en",
    ),
    "cyrillic": (
        ("Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев"),
        (("Алексей", "male"), ("Дмитрий", "male"), ("Сергей", "male"), ("Николай", "male")),
        "en",
    ),
    "greek": (
        ("Παπαδόπουλος", "Γεωργίου", "Νικολάου", "Οικονόμου", "Δημητρίου"),
        (("Γιώργος", "male"), ("Νίκος", "male"), ("Κώστας", "male"), ("Δημήτρης", "male")),
        "en",
    ),
}
NAME_WEIGHTS = {"english": 60, "spanish": 20, "german_nordic_french": 8, "vietnamese": 6, "cyrillic": 3, "greek": 3}

# Every demo user logs in with this password; the login screen of a demo clinic says so. Never a real clinic's
# (domain/password_policy.py refuses it outside the demo).
DEMO_PASSWORD = password_policy.DEMO_PASSWORD

STAFF = (
    # username, full name, credentials, roles
    ("ahart", "Amelia Hart", "MD", ("physician", "admin")),
    ("rortiz", "Rafael Ortiz", "DO", ("physician",)),
    ("mchen", "Mei Chen", "MD", ("physician",)),
    ("kobrien", "Kevin O'Brien", "MD", ("physician",)),
    ("jsoto", "Julia Soto", "RN", ("nurse",)),
    ("pnowak", "Paweł Nowak", "LPN", ("nurse",)),
    ("dokafor", "Dayo Okafor", "RN", ("nurse",)),
    ("lgrant", "Lena Grant", "", ("admin",)),
)

CLINIC = {
    "name": "Riverside Pain & Spine Clinic (demo)",
    "address": "1200 River Road, Suite 300\nSpringfield, ST 00000",
    "phone": "(555) 014-2200",
    "after_hours_phone": "(555) 014-2299",
}

ALLERGIES = (("penicillin",), ("latex",), ("sulfa drugs",), ("chlorhexidine",), ("iodine",), ("codeine",),
             ("nickel",), ("bupivacaine",), ("amide local anesthetics",))
ANTICOAGULANTS = ("apixaban", "warfarin", "rivaroxaban", "clopidogrel", "aspirin 81 mg", "dabigatran")

# Clinical profiles: the anatomical groups treated, the diagnoses, and the indication text.
PROFILES = {
    "neck_shoulder": {
        "groups": ("cervical", "scapular"),
        "diagnoses": (("M79.12", "Myalgia of auxiliary muscles, head and neck"), ("M54.2", "Cervicalgia")),
        "indication": "Chronic myofascial neck and shoulder pain for {months} months limiting desk work and sleep.",
    },
    "low_back": {
        "groups": ("lumbar", "hip"),
        "diagnoses": (("M79.18", "Myalgia, other site"), ("M54.50", "Low back pain, unspecified"),
                      ("M62.830", "Muscle spasm of back")),
        "indication": "Chronic low back myofascial pain for {months} months limiting lifting and walking.",
    },
    "headache": {
        "groups": ("cephalic", "cervical"),
        "diagnoses": (("G44.229", "Chronic tension-type headache, not intractable"),
                      ("M79.12", "Myalgia of auxiliary muscles, head and neck")),
        "indication": "Chronic tension-type headache for {months} months with pericranial trigger points.",
    },
    "thoracic": {
        "groups": ("thoracic", "scapular"),
        "diagnoses": (("M54.6", "Pain in thoracic spine"), ("M79.18", "Myalgia, other site")),
        "indication": "Interscapular and thoracic myofascial pain for {months} months, worse with sitting.",
    },
    "hip_leg": {
        "groups": ("hip", "lower_limb"),
        "diagnoses": (("M79.18", "Myalgia, other site"), ("M62.838", "Other muscle spasm")),
        "indication": "Buttock and lateral thigh myofascial pain for {months} months limiting walking.",
    },
    "upper_limb": {
        "groups": ("upper_limb", "scapular"),
        "diagnoses": (("M79.18", "Myalgia, other site"),),
        "indication": "Forearm and shoulder myofascial pain for {months} months from repetitive work.",
    },
    "fibromyalgia": {
        "groups": ("cervical", "scapular", "lumbar", "hip"),
        "diagnoses": (("M79.7", "Fibromyalgia"), ("M79.18", "Myalgia, other site")),
        "indication": "Fibromyalgia with focal myofascial trigger points for {months} months.",
    },
}
PROFILE_WEIGHTS = {"neck_shoulder": 30, "low_back": 28, "headache": 10, "thoracic": 10, "hip_leg": 10,
                   "upper_limb": 6, "fibromyalgia": 6}

# Showcase patients (services/demo.py) whose sessions are "wide": six muscles from one syringe of lidocaine 2 %.
WIDE_SESSIONS = ("elderly", "stale_weight")

# Syringe recipes: (item code, mL) components, and a weight for how often a clinic draws them up.
RECIPES = (
    ((("lidocaine-1", 5.0),), 24),
    ((("bupivacaine-0.25", 6.0),), 12),
    ((("lidocaine-1", 4.0), ("triamcinolone-40", 1.0)), 14),
    ((("bupivacaine-0.5", 4.0), ("methylprednisolone-40", 1.0)), 6),
    ((("lidocaine-0.5", 8.0),), 6),
    ((("saline-0.9", 5.0),), 6),
    ((("ropivacaine-0.5", 5.0),), 4),
    ((("lidocaine-1", 4.0), ("dexamethasone-4", 1.0)), 4),
    ((("lidocaine-1", 3.0), ("bupivacaine-0.5", 3.0)), 6),
    ((("lidocaine-2", 2.0), ("saline-0.9", 2.0)), 3),
    ((("lidocaine-1", 4.0), ("betamethasone-6", 1.0)), 3),
    ((("lidocaine-1", 4.0), ("triamcinolone-10", 1.0)), 3),
    ((("bupivacaine-0.25", 8.0), ("methylprednisolone-80", 0.5)), 2),
)

CONSERVATIVE_CARE = (
    "NSAIDs and a home stretching program for 8 weeks; physical therapy for 6 weeks, currently on home exercise.",
    "Physical therapy for 12 weeks and cyclobenzaprine; continues a daily home exercise program.",
    "Heat, activity modification and acetaminophen for 3 months; currently in a functional restoration program.",
    "Massage and chiropractic care, NSAIDs for 6 weeks; home exercise program ongoing.",
)
POSITIONS = {"anterior": "Supine", "posterior": "Prone", "mixed": "Seated, then prone"}
COMPLICATIONS = (("None", 94), ("Brief vasovagal reaction, resolved supine within 5 minutes", 2),
                 ("Small hematoma at one site, pressure applied", 3), ("Transient post-needling soreness", 1))
ADDENDA = (
    ("addendum", "Patient called on day 3: soreness settled, pain 3/10, no fever or breathing problems."),
    ("late_entry", "Time-out confirmed patient, procedure, sites and sides with the nurse before the first needle."),
    ("correction", "Follow-up interval corrected from 2 weeks to 6 weeks; the plan was discussed with the patient."),
)
