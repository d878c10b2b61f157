"""Spanish daily messages whose style drifts with a hidden relapse signal.

The generator is deliberately simple and explicit: sentences come from templates with slots,
each patient has a style (verbosity, emoji, abbreviations, typo habit, favourite topics), and
an *intensity* in ``[0, 1]`` (the latent signal scaled by ``signal``) shifts every message
towards symptom and fatigue vocabulary, lower sentiment, fewer and shorter messages and more
disfluency (typos, repeated words, broken word order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

__all__ = ["PatientStyle", "day_messages", "random_style"]

_SLOTS: dict[str, list[str]] = {
    "comida": [
        "lentejas",
        "una tortilla",
        "pescado al horno",
        "ensalada",
        "paella",
        "pasta",
        "un bocadillo",
        "sopa de verduras",
        "arroz con pollo",
        "fruta",
        "croquetas",
    ],
    "lugar": [
        "el parque",
        "el mercado",
        "casa de mi madre",
        "el centro",
        "la playa",
        "el gimnasio",
        "la biblioteca",
        "el súper",
        "la farmacia",
        "el pueblo",
        "la oficina",
    ],
    "persona": [
        "mi hermana",
        "mi madre",
        "mi pareja",
        "una amiga",
        "mi hijo",
        "mi vecina",
        "los compañeros",
        "mi padre",
        "mi prima",
        "la fisio",
    ],
    "actividad": [
        "pasear",
        "leer un rato",
        "cocinar",
        "ver una serie",
        "ordenar la casa",
        "hacer yoga",
        "ir a nadar",
        "quedar con gente",
        "trabajar en el huerto",
        "hacer la compra",
        "estudiar inglés",
    ],
    "momento": [
        "esta mañana",
        "esta tarde",
        "a mediodía",
        "después de comer",
        "antes de cenar",
        "ahora",
        "hace un rato",
        "luego",
    ],
    "tiempo": [
        "hace sol",
        "llueve un montón",
        "hace frío",
        "hace mucho calor",
        "está nublado",
        "hace un día precioso",
        "hay viento",
    ],
    "parte": [
        "las piernas",
        "el brazo izquierdo",
        "la mano derecha",
        "los pies",
        "la cara",
        "el lado derecho",
        "las manos",
    ],
    "sintoma": ["hormigueo", "entumecimiento", "calambres", "pinchazos", "debilidad", "torpeza"],
    "vision": [
        "veo borroso",
        "veo doble a ratos",
        "me duele el ojo al moverlo",
        "la vista se me nubla",
    ],
    "plan": [
        "ir al cine",
        "ver a mi hermana",
        "salir a cenar",
        "ir de excursión",
        "ir al concierto",
        "apuntarme a pilates",
        "pintar la habitación",
    ],
}

_NEUTRAL = [
    "{momento} he comido {comida}",
    "hoy toca {actividad}",
    "{momento} fui a {lugar}",
    "he quedado con {persona} para {actividad}",
    "{tiempo} por aquí",
    "mañana quiero {actividad}",
    "estoy en {lugar} con {persona}",
    "{persona} viene a comer",
    "he hecho {comida} para cenar",
    "tengo que pasar por {lugar}",
    "hoy he ido a trabajar como siempre",
    "ya he tomado la medicación",
    "me he apuntado para {plan}",
    "el finde queremos {plan}",
    "{momento} llamé a {persona}",
    "voy a {lugar} un momento",
    "he dormido bien",
    "{tiempo} y me apetece {actividad}",
    "recuerda que el jueves tengo revisión",
    "he terminado el libro que me dejó {persona}",
    "hoy la reunión ha sido larga",
    "he puesto una lavadora",
    "cenamos {comida}",
]
_POSITIVE = [
    "qué buen día",
    "me encuentro genial",
    "estoy muy contenta",
    "ha sido un día estupendo",
    "me he reído muchísimo con {persona}",
    "tengo mucha energía hoy",
    "qué ganas de {plan}",
    "me ha salido todo bien",
    "he caminado un montón y estoy fenomenal",
    "me siento fuerte",
    "gracias por todo",
    "{actividad} me ha sentado de maravilla",
]
_FATIGUE = [
    "estoy muy cansada",
    "no tengo fuerzas para nada",
    "me cuesta levantarme",
    "estoy agotada",
    "hoy no puedo con mi alma",
    "me he echado la siesta y sigo cansada",
    "todo me cuesta el doble",
    "me canso enseguida",
    "tengo sueño todo el día",
    "no me da la energía para {actividad}",
    "he tenido que parar a descansar varias veces",
]
_SYMPTOM = [
    "tengo {sintoma} en {parte}",
    "noto {sintoma} en {parte} desde {momento}",
    "{vision}",
    "me noto rara {parte}",
    "me mareo al levantarme",
    "se me caen las cosas de la mano",
    "me cuesta andar recto",
    "tropiezo más de lo normal",
    "me duele la cabeza",
    "noto {parte} dormidas",
    "me cuesta concentrarme",
    "se me olvidan las palabras",
    "tengo {sintoma} y {vision}",
    "el calor me sienta fatal, noto {sintoma}",
    "no siento bien {parte}",
    "me tiembla {parte}",
]
_NEGATIVE = [
    "estoy de bajón",
    "no tengo ganas de ver a nadie",
    "hoy todo me sale mal",
    "estoy preocupada",
    "me agobio por nada",
    "no sé qué me pasa",
    "estoy triste",
    "vaya día más malo",
    "he cancelado lo de {plan}",
    "no he salido de casa",
    "me siento inútil",
    "prefiero no hablar hoy",
    "estoy harta",
]
_BANKS = (_NEUTRAL, _POSITIVE, _FATIGUE, _SYMPTOM, _NEGATIVE)
_CONNECTORS = [", ", " y ", ". ", ", pero ", ", así que ", ". Además ", ". "]
_HAPPY_EMOJI = ["😊", "😄", "👍", "❤️", "🌞", "😂", "💪", "🙌"]
_SAD_EMOJI = ["😔", "😩", "😞", "🥱", "😣", "😢"]
_ABBREVIATIONS = {
    "que": "q",
    "porque": "xq",
    "también": "tb",
    "por": "x",
    "mucho": "mxo",
    "de": "d",
    "para": "pa",
}
_ACCENTS = str.maketrans("áéíóú", "aeiou")


@dataclass(frozen=True)
class PatientStyle:
    """How one patient writes.

    Attributes:
        rate: Mean messages per ordinary day.
        verbosity: Mean extra clauses per message.
        emoji: Probability that a message ends with an emoji.
        exclamation: Probability that a message ends with ``!``.
        typo: Per-word typo probability on an ordinary day.
        abbreviates: Writes ``q``, ``xq``, ``tb``...
        drops_accents: Writes without accents.
        lowercase: Never capitalises.
        wake: Hour of the first message of the day (local).
        sleep: Hour of the last message of the day (local).
        topics: Weights of neutral vs positive everyday sentences.
    """

    rate: float
    verbosity: float
    emoji: float
    exclamation: float
    typo: float
    abbreviates: bool
    drops_accents: bool
    lowercase: bool
    wake: float
    sleep: float
    topics: tuple[float, float]


def random_style(rng: np.random.Generator) -> PatientStyle:
    """A random but plausible writing style."""
    positive = float(rng.uniform(0.15, 0.45))
    return PatientStyle(
        rate=float(rng.uniform(2.25, 9.0)),
        verbosity=float(rng.uniform(0.3, 2.2)),
        emoji=float(rng.uniform(0.0, 0.5)),
        exclamation=float(rng.uniform(0.0, 0.35)),
        typo=float(rng.uniform(0.0, 0.02)),
        abbreviates=bool(rng.random() < 0.35),
        drops_accents=bool(rng.random() < 0.25),
        lowercase=bool(rng.random() < 0.4),
        wake=float(rng.uniform(7.0, 9.5)),
        sleep=float(rng.uniform(21.5, 23.9)),
        topics=(1.0 - positive, positive),
    )


def fill_slots(
    template: str, rng: np.random.Generator, slots: dict[str, list[str]] = _SLOTS
) -> str:
    """``template`` with each ``{slot}`` replaced by a random option of ``slots[slot]``."""
    while "{" in template:
        start = template.index("{")
        end = template.index("}", start)
        options = slots[template[start + 1 : end]]
        template = template[:start] + options[int(rng.integers(len(options)))] + template[end + 1 :]
    return template


def _typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 3 or not word.isalpha():
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(4))
    if kind == 0:  # swap two letters
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    if kind == 2:  # double a letter
        return word[:i] + word[i] + word[i:]
    keyboard = "qwertyuiopasdfghjklñzxcvbnm"
    return word[:i] + keyboard[int(rng.integers(len(keyboard)))] + word[i + 1 :]


#: How fast symptom, fatigue and low-mood talk displaces everyday talk as intensity rises
#: (everyday sentences are gone at intensity ``1 / _TOPIC_SHIFT``).
_TOPIC_SHIFT = 1.25


def draw_sentence(
    rng: np.random.Generator,
    topics: tuple[float, float],
    intensity: float,
    banks: tuple[list[str], ...] = _BANKS,
    slots: dict[str, list[str]] = _SLOTS,
) -> tuple[str, bool]:
    """One clause and whether it is negative in tone.

    ``banks`` are the neutral, positive, fatigue, symptom and negative sentence templates of a
    vocabulary, ``topics`` the writer's weights of the first two; the last three displace them
    as ``intensity`` rises. Both vocabularies draw their clauses here.
    """
    shift = min(1.0, _TOPIC_SHIFT * intensity)
    weights = (
        topics[0] * (1 - shift),
        topics[1] * (1 - shift) ** 2,
        0.02 + 0.55 * shift,
        0.01 + 0.75 * shift,
        0.03 + 0.45 * shift,
    )
    # Inverse-CDF draw: much cheaper than rng.choice(p=...) for five categories.
    target = rng.random() * sum(weights)
    kind = len(banks) - 1
    for index, weight in enumerate(weights):
        if target < weight:
            kind = index
            break
        target -= weight
    bank = banks[kind]
    text = fill_slots(bank[int(rng.integers(len(bank)))], rng, slots)
    return text, kind >= 2  # fatigue, symptom and negative talk


def _message(rng: np.random.Generator, style: PatientStyle, intensity: float) -> str:
    clauses = 1 + int(rng.poisson(style.verbosity * (1.0 - 0.6 * intensity)))
    parts = []
    negative = False
    for i in range(clauses):
        clause, bad = draw_sentence(rng, style.topics, intensity)
        negative |= bad
        if i:
            parts.append(_CONNECTORS[int(rng.integers(len(_CONNECTORS)))])
        parts.append(clause)
    words = "".join(parts).split(" ")
    # Disfluency grows with intensity: typos, a repeated word, a broken word order.
    typo_rate = style.typo + 0.10 * intensity
    words = [_typo(w, rng) if rng.random() < typo_rate else w for w in words]
    if len(words) > 2 and rng.random() < 0.03 + 0.45 * intensity:
        i = int(rng.integers(len(words)))
        words.insert(i, words[i])
    if len(words) > 3 and rng.random() < 0.02 + 0.4 * intensity:
        i = int(rng.integers(len(words) - 2))
        window = words[i : i + 3]
        rng.shuffle(window)
        words[i : i + 3] = window
    if len(words) > 4 and rng.random() < 0.25 * intensity:
        del words[int(rng.integers(1, len(words))) :]  # a message left unfinished
    text = " ".join(words)
    if style.abbreviates:
        text = " ".join(_ABBREVIATIONS.get(w, w) for w in text.split(" "))
    if style.drops_accents:
        text = text.translate(_ACCENTS)
    if not style.lowercase and text:
        text = text[0].upper() + text[1:]
    if rng.random() < style.exclamation * (1.0 - intensity):
        text += "!"
    elif negative and rng.random() < 0.3:
        text += "..."
    if rng.random() < style.emoji * (1.0 - 0.5 * intensity):
        pool = _SAD_EMOJI if negative else _HAPPY_EMOJI
        text += " " + pool[int(rng.integers(len(pool)))]
    if rng.random() < 0.02 * (1.0 - intensity):  # occasional two-line message
        second, _ = draw_sentence(rng, style.topics, intensity)
        text += "\n" + second
    return text


def day_messages(
    rng: np.random.Generator, style: PatientStyle, intensity: float, date: dt.date
) -> list[tuple[dt.time, str]]:
    """The messages a patient writes on ``date`` at the given intensity, in time order.

    Args:
        rng: Random generator (the caller seeds it for determinism).
        style: The patient's writing style.
        intensity: Signal strength in ``[0, 1]``; 0 is an ordinary day.
        date: The local date (weekends are a little chattier).

    Returns:
        ``(local time, text)`` pairs sorted by time (whole seconds).
    """
    weekend = 1.15 if date.weekday() >= 5 else 1.0
    count = int(rng.poisson(style.rate * weekend * (1.0 - 0.6 * intensity)))
    if count == 0:
        return []
    start, end = style.wake * 3600, style.sleep * 3600
    seconds = np.sort(rng.uniform(start, end, size=count).astype(int))
    result = []
    for second in seconds:
        time = dt.time(int(second // 3600), int(second // 60 % 60), int(second % 60))
        result.append((time, _message(rng, style, intensity)))
    return result
