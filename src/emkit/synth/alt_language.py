"""The ``alt`` vocabulary: another way of writing Spanish chat, for testing generalisation.

The default vocabulary (:mod:`emkit.synth.language`) was written alongside the ``lexical``
extractor's lexicons, so its symptom and mood talk uses the lexicons' own words. This one does
not: its symptom, fatigue and mood phrases are colloquial Spanish written from scratch, and
none of their words is a lexicon entry (a test checks every word against every entry after the
extractor's normalisation). Its style habits differ in kind too:

* **rhythm**: rapid-fire bursts of short one-clause messages (10-22 a day) instead of a few
  longer messages spread over the day;
* **time of day**: a night owl, awake from late morning until past midnight (the default
  patient writes between 7 h and midnight); unwell days add a burst in the small hours;
* **capitalisation**: whole words in capitals for emphasis, never a capital first letter;
* **typos**: phonetic spellings (``b``/``v``, a dropped ``h``, ``k`` for ``qu``/``c``,
  ``y`` for ``ll``), stretched vowels and two words run together, where the default makes
  keyboard slips (swapped, dropped, doubled or wrong letters);
* text emoticons (``:(``, ``xD``) and chat abbreviations (``k``, ``pq``, ``tmb``) that the
  default never uses.

The latent process is the same: intensity shifts everyday talk towards symptom, fatigue and
low-mood talk with the same weights, and makes writing sparser and more disfluent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from emkit.synth.language import draw_sentence

__all__ = [
    "ALT_ABBREVIATIONS",
    "ALT_CAPITALISATION",
    "ALT_SIGNAL_BANKS",
    "ALT_TYPO_KINDS",
    "AltStyle",
    "alt_day_messages",
    "random_alt_style",
]

_SLOTS: dict[str, list[str]] = {
    "comida": [
        "un cocido",
        "migas",
        "gazpacho",
        "un pisto",
        "calamares",
        "patatas bravas",
        "fabada",
        "un salmorejo",
        "empanada",
        "huevos rotos",
    ],
    "lugar": [
        "la plaza",
        "el bar de abajo",
        "la piscina",
        "el ambulatorio",
        "el taller",
        "la academia",
        "el polideportivo",
        "la parada del bus",
        "el chino de la esquina",
        "la gestoría",
    ],
    "persona": [
        "la Maite",
        "el cuñado",
        "la abuela",
        "los del curro",
        "la vecina del quinto",
        "el Javi",
        "la peña del pueblo",
        "las del coro",
        "el fontanero",
    ],
    "recado": [
        "ir al banco",
        "llevar el coche a revisar",
        "recoger el paquete",
        "renovar el DNI",
        "planchar",
        "limpiar los cristales",
        "bajar la basura",
    ],
    "cuerpo": [
        "las rodillas",
        "el muslo izquierdo",
        "los talones",
        "las yemas de los dedos",
        "la espalda",
        "el costado derecho",
        "la nuca",
    ],
    "sensacion": [
        "agujas",
        "corrientazos",
        "como gaseosa",
        "un zumbido",
        "un ardor",
        "como arena",
    ],
}

_NEUTRAL = [
    "acabo de llegar del curro",
    "hoy toca {recado}",
    "estoy en {lugar} esperando",
    "luego bajo a {lugar}",
    "¿has visto lo del partido?",
    "¿a qué hora quedamos?",
    "ya he sacado al perro",
    "al final hacemos {comida} para comer",
    "{persona} ha llamado por lo del sábado",
    "voy pillando el bus",
    "vaya cola en {lugar}",
    "hoy he hecho {comida}",
    "el domingo hay comida en casa de {persona}",
    "estoy tendiendo la ropa",
    "ha empezado a chispear",
    "qué bochorno hace",
    "mañana madrugo",
    "tengo que {recado}",
    "he visto a {persona} en {lugar}",
    "¿te paso la receta de {comida}?",
]
_POSITIVE = [
    "qué día más redondo",
    "estoy como una moto",
    "hoy lo he dado todo en la clase de baile",
    "vaya pasada de tarde",
    "hoy estoy a tope",
    "un diez el plan de ayer con {persona}",
    "estoy que lo peto",
    "la tarde ha sido de cine",
    "qué carcajadas con {persona}",
    "qué gozada de paseo por {lugar}",
    "hoy todo ha salido redondo",
]
_FATIGUE = [
    "estoy hecha polvo",
    "hoy voy arrastrándome",
    "el cuerpo pesa una tonelada",
    "estoy KO desde las once",
    "las pilas a cero",
    "llevo todo el día tirada en el sofá",
    "tras subir la compra, al sofá directa",
    "tengo el cuerpo de trapo",
    "hoy estoy para el arrastre",
    "a las cinco ya estaba frita",
    "bostezando desde el desayuno",
    "vaya modorra llevo encima",
    "estoy en modo zombi",
]
_SYMPTOM = [
    "tengo {sensacion} en {cuerpo}",
    "noto {sensacion} por {cuerpo}",
    "tengo las manos como de corcho",
    "el muslo izquierdo parece de otra persona",
    "la cara como anestesiada, igual que al salir del dentista",
    "las letras del móvil bailan",
    "todo se ve como a través de un cristal empañado",
    "la tele parece una acuarela",
    "un velo gris delante de la cara",
    "las rodillas van por libre",
    "hoy he ido dando tumbos por el pasillo",
    "el pie derecho arrastra",
    "subir la escalera ha sido una odisea",
    "casi acabo en el suelo en la acera",
    "todo da vueltas al incorporarse",
    "los botones de la camisa se resisten",
    "la cabeza hoy va a pedales",
    "he dejado las llaves puestas en la puerta otra vez",
    "leo un párrafo tres veces y cero",
    "estoy espesa, las ideas se escapan",
    "he llamado a la niña con el nombre de la perra",
    "tengo la palabra en la punta de la lengua todo el rato",
    "la nuca como un nudo",
    "las sienes a punto de estallar",
    "un martilleo en la cabeza",
    "con este calor el cuerpo se apaga",
]
_NEGATIVE = [
    "estoy de un humor de perros",
    "hoy todo es gris",
    "tengo el día torcido",
    "vaya rollo de semana",
    "paso de ver a la gente",
    "lo mandaría todo a paseo",
    "cualquier cosa hoy es un mundo",
    "tengo un nudo en el estómago",
    "he pasado la tarde encerrada en el cuarto",
    "estoy que muerdo",
    "se hace todo cuesta arriba",
    "vaya tela, otra semana así",
    "he anulado lo de {persona}",
]
_BANKS = (_NEUTRAL, _POSITIVE, _FATIGUE, _SYMPTOM, _NEGATIVE)

#: The signal-bearing phrase banks (fatigue, symptom, low mood, upbeat) with their slots: the
#: words a test checks against every lexicon entry.
ALT_SIGNAL_BANKS: dict[str, list[str]] = {
    "fatigue": _FATIGUE,
    "symptom": _SYMPTOM,
    "mood": _NEGATIVE,
    "upbeat": _POSITIVE,
    **{f"slot:{name}": values for name, values in _SLOTS.items()},
}

_CONNECTORS = [" en plan ", " total que ", " o sea ", " y encima "]
_HAPPY = [":)", ":D", "xD", "jajaja", "jajajaja", "<3"]
_SAD = [":(", ":/", ":'(", "u_u", "-_-"]
#: Chat abbreviations of the alt vocabulary (none is one of the default's).
ALT_ABBREVIATIONS: dict[str, str] = {
    "que": "k",
    "porque": "pq",
    "también": "tmb",
    "mucho": "muxo",
    "donde": "dnd",
    "estoy": "toy",
    "bueno": "bno",
}
#: Capitalisation habits (the default's are ``lowercase`` and ``sentence``).
ALT_CAPITALISATION = ("shout",)


def _b_v(word: str, rng: np.random.Generator) -> str:
    spots = [i for i, c in enumerate(word) if c in "bv"]
    if not spots:
        return word
    i = spots[int(rng.integers(len(spots)))]
    return word[:i] + ("v" if word[i] == "b" else "b") + word[i + 1 :]


def _no_h(word: str, rng: np.random.Generator) -> str:
    return word.replace("h", "") if "h" in word and word != "h" else word


def _k(word: str, rng: np.random.Generator) -> str:
    out = word.replace("qu", "k")
    for syllable in ("ca", "co", "cu"):
        out = out.replace(syllable, "k" + syllable[1])
    return out


def _y_ll(word: str, rng: np.random.Generator) -> str:
    return word.replace("ll", "y")


def _stretch(word: str, rng: np.random.Generator) -> str:
    for i in range(len(word) - 1, -1, -1):
        if word[i] in "aeiou":
            return word[: i + 1] + word[i] * int(rng.integers(2, 5)) + word[i + 1 :]
    return word


#: Typo kinds of the alt vocabulary, applied per word (``merge`` joins two words and is
#: applied to the message).
ALT_TYPO_KINDS: dict[str, Callable[[str, np.random.Generator], str]] = {
    "b_v": _b_v,
    "no_h": _no_h,
    "k_for_c": _k,
    "y_for_ll": _y_ll,
    "stretch": _stretch,
}
_WORD_TYPOS = tuple(ALT_TYPO_KINDS.values())


@dataclass(frozen=True)
class AltStyle:
    """How one patient of the alt vocabulary writes.

    Attributes:
        bursts: Mean bursts (short conversations) on an ordinary day.
        burst_size: Mean messages per burst.
        verbosity: Mean extra clauses per message.
        emoticon: Probability that a message ends with a text emoticon or laugh.
        shout: Per-word probability of writing a word in capitals.
        typo: Per-word probability of a phonetic typo on an ordinary day.
        merge: Probability that a message runs two words together on an ordinary day.
        abbreviates: Writes ``k``, ``pq``, ``tmb``...
        wake: Hour of the first burst (local).
        sleep: Hour of the last burst, past midnight (24 + hours).
        topics: Weights of neutral vs upbeat everyday sentences.
    """

    bursts: float
    burst_size: float
    verbosity: float
    emoticon: float
    shout: float
    typo: float
    merge: float
    abbreviates: bool
    wake: float
    sleep: float
    topics: tuple[float, float]

    @property
    def rate(self) -> float:
        """Mean messages on an ordinary day."""
        return self.bursts * self.burst_size


def random_alt_style(rng: np.random.Generator) -> AltStyle:
    """A random alt writing style."""
    upbeat = float(rng.uniform(0.15, 0.45))
    return AltStyle(
        bursts=float(rng.uniform(3.0, 4.5)),
        burst_size=float(rng.uniform(3.5, 5.0)),
        verbosity=float(rng.uniform(0.0, 0.25)),
        emoticon=float(rng.uniform(0.05, 0.4)),
        shout=float(rng.uniform(0.01, 0.06)),
        typo=float(rng.uniform(0.03, 0.07)),
        merge=float(rng.uniform(0.02, 0.08)),
        abbreviates=bool(rng.random() < 0.5),
        wake=float(rng.uniform(10.0, 12.5)),
        sleep=float(rng.uniform(24.5, 26.5)),
        topics=(1.0 - upbeat, upbeat),
    )


def _message(rng: np.random.Generator, style: AltStyle, intensity: float) -> str:
    clauses = 1 + int(rng.poisson(style.verbosity * (1.0 - 0.6 * intensity)))
    parts: list[str] = []
    negative = False
    for i in range(clauses):
        clause, bad = draw_sentence(rng, style.topics, intensity, _BANKS, _SLOTS)
        negative |= bad
        if i:
            parts.append(_CONNECTORS[int(rng.integers(len(_CONNECTORS)))])
        parts.append(clause)
    words = "".join(parts).lower().split(" ")
    if style.abbreviates:
        words = [ALT_ABBREVIATIONS.get(w, w) for w in words]
    typo_rate = style.typo + 0.12 * intensity
    words = [
        _WORD_TYPOS[int(rng.integers(len(_WORD_TYPOS)))](w, rng)
        if w.isalpha() and rng.random() < typo_rate
        else w
        for w in words
    ]
    if len(words) > 2 and rng.random() < style.merge + 0.4 * intensity:
        i = int(rng.integers(len(words) - 1))
        words[i : i + 2] = [words[i] + words[i + 1]]
    if len(words) > 3 and rng.random() < 0.3 * intensity:
        # cut off mid-word, the way a message sent too early looks
        last = int(rng.integers(2, len(words)))
        words = [*words[:last], words[last][: max(1, len(words[last]) // 2)] + "-"]
    words = [w.upper() if w.isalpha() and rng.random() < style.shout else w for w in words]
    text = " ".join(words)
    if negative and rng.random() < 0.25 + 0.25 * intensity:
        text += " …"
    if rng.random() < style.emoticon * (1.0 - 0.3 * intensity):
        pool = _SAD if negative else _HAPPY
        text += " " + pool[int(rng.integers(len(pool)))]
    return text


def alt_day_messages(
    rng: np.random.Generator, style: AltStyle, intensity: float, date: dt.date
) -> list[tuple[dt.time, str]]:
    """The messages an alt-vocabulary patient writes on ``date`` at ``intensity``.

    Messages come in bursts a few minutes apart; bursts fall between ``wake`` and ``sleep``
    (past midnight wraps to the small hours of the same date), and an unwell day may add a
    sleepless burst between 3 h and 6 h.

    Returns:
        ``(local time, text)`` pairs sorted by time (whole seconds).
    """
    weekend = 1.2 if date.weekday() >= 5 else 1.0
    n_bursts = int(rng.poisson(style.bursts * weekend * (1.0 - 0.6 * intensity)))
    starts = list(rng.uniform(style.wake * 3600, style.sleep * 3600, size=n_bursts))
    if rng.random() < 0.5 * intensity:
        starts.append(float(rng.uniform(3 * 3600, 6 * 3600)))
    seconds: list[int] = []
    for start in starts:
        size = 1 + int(rng.poisson(max(style.burst_size - 1.0, 0.0) * (1.0 - 0.5 * intensity)))
        gaps = np.cumsum(rng.uniform(8, 240, size=size)) - 8
        seconds.extend(int(start + g) % 86_400 for g in gaps)
    seconds.sort()
    return [
        (dt.time(s // 3600, s // 60 % 60, s % 60), _message(rng, style, intensity)) for s in seconds
    ]
