"""The muscle table of atlas 1: display names, anatomical group, near-lung flag, deep alternatives.

Source: clinical-reference.md §5 (muscles commonly treated; ⚠ = overlies thorax/pleura). Groups follow
that table's rows (LCD-style anatomic regions): cephalic, cervical, scapular, chest, thoracic, lumbar,
abdominal, hip, upper_limb, lower_limb.
"""

from __future__ import annotations

from typing import Any

# id: (display name, group, near lung ⚠, deep alternatives reached through this muscle's region)
MUSCLES: dict[str, tuple[str, str, bool, tuple[str, ...]]] = {
    # head and face
    "frontalis": ("Frontalis", "cephalic", False, ()),
    "temporalis": ("Temporalis", "cephalic", False, ()),
    "masseter": ("Masseter", "cephalic", False, ()),
    "occipitalis": ("Occipitalis", "cephalic", False, ("suboccipitals",)),
    # neck
    "sternocleidomastoid": ("Sternocleidomastoid", "cervical", False, ("scalenes",)),
    "upper_trapezius": ("Upper trapezius", "cervical", True, ("scalenes", "splenius_cervicis")),
    "levator_scapulae": ("Levator scapulae", "cervical", False, ("splenius_cervicis", "scalenes")),
    "splenius_capitis": ("Splenius capitis", "cervical", False, ("splenius_cervicis", "suboccipitals")),
    "semispinalis_capitis": (
        "Semispinalis capitis",
        "cervical",
        False,
        ("suboccipitals", "cervical_multifidi"),
    ),
    # shoulder girdle
    "middle_trapezius": ("Middle trapezius", "scapular", True, ("rhomboid_minor", "serratus_posterior_superior")),
    "lower_trapezius": ("Lower trapezius", "scapular", True, ("thoracic_multifidi",)),
    "rhomboid_minor": ("Rhomboid minor", "scapular", True, ("serratus_posterior_superior",)),
    "rhomboid_major": ("Rhomboid major", "scapular", True, ("serratus_posterior_superior",)),
    "supraspinatus": ("Supraspinatus", "scapular", False, ()),
    "infraspinatus": ("Infraspinatus", "scapular", False, ("subscapularis",)),
    "teres_minor": ("Teres minor", "scapular", False, ("subscapularis",)),
    "teres_major": ("Teres major", "scapular", False, ("subscapularis",)),
    "latissimus_dorsi": ("Latissimus dorsi", "scapular", True, ("subscapularis", "serratus_posterior_inferior")),
    "serratus_anterior": ("Serratus anterior", "scapular", True, ("intercostals", "subscapularis")),
    "deltoid": ("Deltoid", "scapular", False, ()),
    # chest
    "pectoralis_major": ("Pectoralis major", "chest", True, ("pectoralis_minor", "intercostals")),
    # thoracic back
    "longissimus_thoracis": ("Longissimus thoracis", "thoracic", True, ("thoracic_multifidi",)),
    "iliocostalis_thoracis": ("Iliocostalis thoracis", "thoracic", True, ("serratus_posterior_inferior",)),
    # lumbar back and abdominal wall
    "lumbar_erector_spinae": (
        "Lumbar paraspinals (erector spinae)",
        "lumbar",
        False,
        ("lumbar_multifidi", "quadratus_lumborum"),
    ),
    "iliocostalis_lumborum": ("Iliocostalis lumborum", "lumbar", False, ("quadratus_lumborum",)),
    "rectus_abdominis": ("Rectus abdominis", "abdominal", False, ("iliopsoas",)),
    "external_oblique": ("External oblique", "abdominal", False, ("internal_oblique", "iliopsoas")),
    # hip
    "gluteus_maximus": ("Gluteus maximus", "hip", False, ("piriformis", "gluteus_minimus")),
    "gluteus_medius": ("Gluteus medius", "hip", False, ("gluteus_minimus", "piriformis")),
    "tensor_fasciae_latae": ("Tensor fasciae latae", "hip", False, ("gluteus_minimus",)),
    # thigh
    "sartorius": ("Sartorius", "lower_limb", False, ("iliopsoas",)),
    "rectus_femoris": ("Rectus femoris", "lower_limb", False, ("vastus_intermedius",)),
    "vastus_lateralis": ("Vastus lateralis", "lower_limb", False, ("vastus_intermedius",)),
    "vastus_medialis": ("Vastus medialis", "lower_limb", False, ()),
    "adductors": ("Adductors", "lower_limb", False, ("iliopsoas",)),
    "biceps_femoris": ("Biceps femoris (lateral hamstring)", "lower_limb", False, ()),
    "medial_hamstrings": ("Semitendinosus/semimembranosus (medial hamstrings)", "lower_limb", False, ()),
    # leg
    "tibialis_anterior": ("Tibialis anterior", "lower_limb", False, ()),
    "peroneus_longus": ("Peroneus (fibularis) longus", "lower_limb", False, ()),
    "gastrocnemius": ("Gastrocnemius", "lower_limb", False, ("soleus", "popliteus")),
    "soleus": ("Soleus", "lower_limb", False, ("tibialis_posterior",)),
    # upper limb
    "biceps_brachii": ("Biceps brachii", "upper_limb", False, ("brachialis",)),
    "triceps_brachii": ("Triceps brachii", "upper_limb", False, ()),
    "brachioradialis": ("Brachioradialis", "upper_limb", False, ("supinator",)),
    "wrist_flexors": ("Wrist/finger flexors", "upper_limb", False, ("pronator_teres",)),
    "wrist_extensors": ("Wrist/finger extensors (e.g. extensor carpi radialis)", "upper_limb", False, ("supinator",)),
}

# Deep muscles: reachable only as alternatives of the region above them. id: (name, near lung ⚠)
DEEP: dict[str, tuple[str, bool]] = {
    "scalenes": ("Scalenes (anterior/middle/posterior)", True),
    "splenius_cervicis": ("Splenius cervicis", False),
    "suboccipitals": ("Suboccipitals", False),
    "cervical_multifidi": ("Cervical multifidi", False),
    "rhomboid_minor": ("Rhomboid minor", True),
    "serratus_posterior_superior": ("Serratus posterior superior", True),
    "serratus_posterior_inferior": ("Serratus posterior inferior", True),
    "thoracic_multifidi": ("Thoracic multifidi", True),
    "subscapularis": ("Subscapularis", False),
    "pectoralis_minor": ("Pectoralis minor", True),
    "intercostals": ("Intercostals", True),
    "lumbar_multifidi": ("Lumbar multifidi", False),
    "quadratus_lumborum": ("Quadratus lumborum", False),
    "iliopsoas": ("Iliopsoas", False),
    "internal_oblique": ("Internal oblique", False),
    "piriformis": ("Piriformis", False),
    "gluteus_minimus": ("Gluteus minimus", False),
    "vastus_intermedius": ("Vastus intermedius", False),
    "popliteus": ("Popliteus", False),
    "tibialis_posterior": ("Tibialis posterior", False),
    "soleus": ("Soleus", False),
    "brachialis": ("Brachialis", False),
    "supinator": ("Supinator", False),
    "pronator_teres": ("Pronator teres", False),
}


def muscles_json() -> dict[str, Any]:
    return {
        mid: {"name": name, "group": group, "near_lung": lung, "deep": list(deep)}
        for mid, (name, group, lung, deep) in MUSCLES.items()
    }


def deep_json() -> dict[str, Any]:
    return {mid: {"name": name, "near_lung": lung} for mid, (name, lung) in DEEP.items()}
