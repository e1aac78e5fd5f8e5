"""searcher.segmenter against the real pyvi: byte-identical output, no scikit-learn.

The reference is ``pyvi.ViTokenizer.tokenize`` itself (imported here, in the
test process), run on the same inputs: every sentence of the seed bulletins,
a fixed-seed sample of VNTC news sentences (when ``../shared`` is present),
hand-picked edge cases and fixed-seed random strings.
"""

from __future__ import annotations

import json
import lzma
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from searcher import segmenter
from searcher.analysis import sentences

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT / "corpus"
VNTC = PROJECT.parent / "shared" / "corpora" / "vntc.jsonl.xz"

VNTC_SEED = 20240607
VNTC_ARTICLE_RATE = 0.004  # ~320 of the 80,790 articles
VNTC_MAX_SENTENCES = 8000
VNTC_PARAGRAPHS = 300


@pytest.fixture(scope="module")
def pyvi_tokenize() -> Callable[[str], str]:
    """The reference: pyvi's own tokenizer (imports scikit-learn in this process)."""
    from pyvi import ViTokenizer

    return ViTokenizer.tokenize


def assert_same(texts: Iterable[str], reference: Callable[[str], str]) -> int:
    """Compare :func:`segmenter.tokenize` with ``reference`` on every text."""
    bad = []
    n = 0
    for text in texts:
        n += 1
        ours = segmenter.tokenize(text)
        theirs = reference(text)
        if ours != theirs:
            bad.append((text, ours, theirs))
    assert not bad, f"{len(bad)} of {n} differ, e.g. {bad[:3]!r}"
    return n


def seed_texts() -> list[str]:
    """Every sentence, every line and the whole text of each seed bulletin."""
    files = sorted(CORPUS.glob("*.txt"))
    if not files:
        pytest.skip(f"seed corpus missing: {CORPUS}")
    texts: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        texts.extend(s for s, _ in sentences(text))
        texts.extend(line for line in text.splitlines() if line.strip())
        texts.append(text)
    return texts


def vntc_sample() -> tuple[list[str], list[str]]:
    """A fixed-seed sample of VNTC sentences, and some whole paragraphs."""
    if not VNTC.is_file():
        pytest.skip(f"{VNTC} is missing")
    rng = random.Random(VNTC_SEED)
    sents: list[str] = []
    paragraphs: list[str] = []
    with lzma.open(VNTC, "rt", encoding="utf-8") as fh:
        for line in fh:
            if rng.random() >= VNTC_ARTICLE_RATE:
                continue
            article = json.loads(line)
            text = f"{article['title']}\n{article['body']}"
            sents.extend(s for s, _ in sentences(text))
            paragraphs.extend(p for p in article["body"].split("\n") if p.strip())
    rng.shuffle(sents)
    rng.shuffle(paragraphs)
    return sents[:VNTC_MAX_SENTENCES], paragraphs[:VNTC_PARAGRAPHS]


# --- real text -------------------------------------------------------------------


def test_identical_to_pyvi_on_the_seed_bulletins(pyvi_tokenize):
    n = assert_same(seed_texts(), pyvi_tokenize)
    assert n >= 200


@pytest.mark.shared
def test_identical_to_pyvi_on_a_vntc_sample(pyvi_tokenize):
    sents, paragraphs = vntc_sample()
    assert len(sents) >= 3000, len(sents)
    assert_same(sents, pyvi_tokenize)
    assert_same(paragraphs, pyvi_tokenize)


def test_it_does_segment():
    """Not a pass-through: compound words are joined, as pyvi does."""
    out = segmenter.tokenize("Đảng viên phải gương mẫu chấp hành nghị quyết.")
    assert "Đảng_viên" in out
    assert "nghị_quyết" in out
    assert out.endswith(" .")


# --- edge cases ------------------------------------------------------------------

EDGE_CASES = [
    "",
    " ",
    "   \t  ",
    "\n",
    "\n\n",
    "\u00a0",
    ".",
    "...",
    "!?!",
    "…",
    "—",
    "- - -",
    "«»“”",
    "==> -> >> ...",
    "a",
    "Đ",
    "đảng viên",
    "Đảng viên",
    "ĐẢNG VIÊN",
    "đẢNG vIÊN",
    "Đảng Viên",
    "Ban Chấp hành Trung ương Đảng",
    "BAN CHẤP HÀNH TRUNG ƯƠNG",
    "2022",
    "28/6/2022",
    "12.500.000 đồng",
    "1,5 triệu",
    "3_000",
    "Kết luận số 21-KL/TW ngày 25/10/2021",
    "21-KL/TW",
    "Nghị quyết 04-NQ/TW, Quy định 37-QĐ/TW.",
    "TP. Hồ Chí Minh và Tp. Hà Nội, Mr. Smith, Dr. Lan, ThS. Minh",
    "U.S.A. và E.U.",
    "Liên hệ ban.tochuc@dangcongsan.vn hoặc https://dangcongsan.vn/a-b_c.html?x=1&y=2",
    "Hà\u00a0Nội\u00a0ngày\u00a028",
    "Hà Nội\u200bngày 28",
    "Chúc mừng năm mới 🎉🇻🇳 Việt Nam 👍🏽",
    "Hà Nội 北京 Москва Αθήνα ΣΟΦΟΣ ΟΔΥΣΣΕΥΣ Ελλάς Tokyo東京",
    "İSTANBUL và ǅemal, ß ﬁ",
    "x² + y³ = ½ ① ٣",
    "Ho\u0300a bi\u0300nh",  # NFD: pyvi NFC-normalises first
    "\u0301\u0300",
    "a\x00b \x01 \x7f",
    "tab\tseparated\ttext\r\nCRLF",
    "(Trích) [chú thích] {x} <y> \"z\" 'w' `v`",
    "_ __ ___ a_b",
    " ".join(["hội nghị giao ban công tác tổ chức xây dựng Đảng"] * 60),
    "Xây-dựng-Đảng-vững-mạnh " * 30,
    "A" * 5000,
]


@pytest.mark.parametrize("text", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_identical_to_pyvi_on_edge_cases(text, pyvi_tokenize):
    assert segmenter.tokenize(text) == pyvi_tokenize(text)


def test_no_token_returns_the_input_unchanged():
    for text in ["", "  ", "\t", "\u00a0 \u3000"]:
        assert segmenter.tokenize(text) is text or segmenter.tokenize(text) == text


def test_lone_surrogates_fail_as_pyvi_does(pyvi_tokenize):
    """Text that UTF-8 cannot encode has no segmentation: pyvi fails inside
    pycrfsuite (a SystemError caused by UnicodeEncodeError); we fail with the
    UnicodeEncodeError itself."""
    text = "Hà Nội \ud800 ngày"
    with pytest.raises(SystemError) as theirs:
        pyvi_tokenize(text)
    assert isinstance(theirs.value.__cause__, UnicodeEncodeError)
    with pytest.raises(UnicodeEncodeError):
        segmenter.tokenize(text)


def random_texts(n: int, seed: int) -> list[str]:
    """Random strings of corpus syllables, case changes, punctuation, numbers, symbols."""
    words = sorted({w for t in seed_texts() for w in t.split()})
    pieces = [
        ".", ",", ";", ":", "!", "?", "...", "…", "-", "->", "==>", ">>", "/", "(", ")",
        '"', "“", "”", "'", "%", "&", "_", "\n", "\t", "\u00a0", "  ", "🎉", "北京",
        "Σ", "ς", "İ", "ǅ", "²", "\u0301", "12", "3.5", "1,000", "21-KL/TW", "TP.",
        "Tp.", "Mr.", "a@b.vn", "http://x.vn/y", "HCM.", "U.S.",
    ]  # fmt: skip
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 25)):
            if rng.random() < 0.7:
                w = rng.choice(words)
                r = rng.random()
                w = (
                    w.upper()
                    if r < 0.1
                    else w.title()
                    if r < 0.25
                    else w.lower()
                    if r < 0.5
                    else w
                )
            else:
                w = rng.choice(pieces)
            parts.append(w)
            parts.append(rng.choice([" ", " ", " ", "", "\n", "\u00a0"]))
        out.append("".join(parts))
    return out


def test_identical_to_pyvi_on_random_strings(pyvi_tokenize):
    assert_same(random_texts(3000, seed=11), pyvi_tokenize)


def test_syllables_are_pyvis(pyvi_tokenize):
    """The syllabifier alone: same tokens as ViTokenizer.sylabelize."""
    import re
    import unicodedata

    from pyvi.ViTokenizer import ViTokenizer

    findall = re.compile(segmenter.SYLLABLE_PATTERN).findall
    for text in [*EDGE_CASES, *seed_texts(), *random_texts(500, seed=5)]:
        try:
            expected = ViTokenizer.sylabelize(text)[1]
        except UnicodeError:  # pragma: no cover - no such input above
            continue
        assert findall(unicodedata.normalize("NFC", text)) == expected, text


# --- no scikit-learn, lazy, thread-safe ------------------------------------------


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tokenizing_imports_neither_sklearn_nor_pyvi(pyvi_tokenize):
    sentence = "Đồng chí Trương Thị Mai, Ủy viên Bộ Chính trị, chủ trì hội nghị."
    out = run_python(
        "import json, sys\n"
        "import searcher.segmenter as seg\n"
        "assert seg._engine is None, 'model loaded at import time'\n"
        "assert 'pycrfsuite' not in sys.modules, 'pycrfsuite imported at import time'\n"
        f"out = seg.tokenize({sentence!r})\n"
        "assert seg.backend() == 'native', seg.backend()\n"
        "heavy = [m for m in ('sklearn', 'sklearn_crfsuite', 'scipy', 'pyvi')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(json.dumps(out))\n"
    )
    assert json.loads(out) == pyvi_tokenize(sentence)


def test_the_model_loads_once_under_concurrent_first_use():
    out = run_python(
        "import json, threading\n"
        "import searcher.segmenter as seg\n"
        "barrier = threading.Barrier(8)\n"
        "engines, outs = [], []\n"
        "def work():\n"
        "    barrier.wait()\n"
        "    outs.append(seg.tokenize('Ban Tổ chức Trung ương phối hợp với tỉnh ủy'))\n"
        "    engines.append(id(seg._get()))\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(json.dumps([len(set(engines)), len(set(outs)), len(outs)]))\n"
    )
    assert json.loads(out) == [1, 1, 8]


def test_concurrent_tokenizing_gives_the_sequential_results():
    texts = seed_texts() * 3
    expected = [segmenter.tokenize(t) for t in texts]
    results: list[list[str]] = [[] for _ in range(4)]

    def work(k: int) -> None:
        results[k] = [segmenter.tokenize(t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


# --- loading the model: restricted unpickling, fallback ----------------------------


def test_the_model_bytes_are_those_sklearn_crfsuite_unpickles():
    """Our stand-ins extract exactly the crfsuite model the real CRF object holds."""
    pkl = segmenter.pyvi_dir() / segmenter.MODEL_FILE
    with open(pkl, "rb") as fh:
        crf = pickle.load(fh)  # the real thing: imports sklearn_crfsuite
    real = Path(crf.modelfile.name).read_bytes()
    ours = segmenter.load_crf_bytes(pkl.read_bytes())
    assert ours == real
    assert ours[:4] == b"lCRF"


class _Evil:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (str(self.target),))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_the_unpickler_refuses_any_other_global(tmp_path, protocol):
    target = tmp_path / "pwned"
    data = pickle.dumps(_Evil(target), protocol=protocol)
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        segmenter.load_crf_bytes(data)
    assert not target.exists()
    for obj in [eval, getattr, __import__, subprocess.run, Path]:
        with pytest.raises(pickle.UnpicklingError, match="refused global"):
            segmenter.load_crf_bytes(pickle.dumps(obj, protocol=protocol))


def test_a_pickle_of_another_shape_is_rejected():
    for obj in [None, 1.5, {"modelfile": None}, ["lCRF"], b"lCRF"]:
        with pytest.raises(segmenter.SegmenterLoadError):
            segmenter.load_crf_bytes(pickle.dumps(obj, protocol=2))


def fake_pyvi(tmp_path: Path, tokenizer_source: bytes, model: bytes | None) -> Path:
    """A pyvi package folder: the given ViTokenizer.py, the real word list and
    either the real model pickle (``model is None``) or the given bytes."""
    real = segmenter.pyvi_dir()
    pkg = tmp_path / "pyvi"
    (pkg / "models").mkdir(parents=True)
    (pkg / segmenter.TOKENIZER_FILE).write_bytes(tokenizer_source)
    shutil.copyfile(real / segmenter.WORDS_FILE, pkg / segmenter.WORDS_FILE)
    if model is None:
        (pkg / segmenter.MODEL_FILE).symlink_to(real / segmenter.MODEL_FILE)
    else:
        (pkg / segmenter.MODEL_FILE).write_bytes(model)
    return pkg


SAMPLE = "Dự hội nghị có lãnh đạo tỉnh Bắc Giang, các cục, vụ, đơn vị của Ban Tổ chức Trung ương."


def test_loading_from_a_copy_of_pyvi_is_native(tmp_path, pyvi_tokenize):
    source = (segmenter.pyvi_dir() / segmenter.TOKENIZER_FILE).read_bytes()
    engine = segmenter._load(fake_pyvi(tmp_path, source, None))
    assert engine.name == "native"
    assert engine.tokenize(SAMPLE) == pyvi_tokenize(SAMPLE)


@pytest.mark.parametrize("broken", ["tokenizer-changed", "model-missing", "evil-model"])
def test_an_unreadable_model_falls_back_to_pyvi_loudly(tmp_path, pyvi_tokenize, broken):
    source = (segmenter.pyvi_dir() / segmenter.TOKENIZER_FILE).read_bytes()
    target = tmp_path / "pwned"
    if broken == "tokenizer-changed":
        pkg = fake_pyvi(tmp_path, source + b"\n# a new pyvi\n", None)
    elif broken == "model-missing":
        pkg = fake_pyvi(tmp_path, source, None)
        (pkg / segmenter.MODEL_FILE).unlink()
    else:
        pkg = fake_pyvi(tmp_path, source, pickle.dumps(_Evil(target), protocol=2))
    with pytest.warns(RuntimeWarning, match="falling back to pyvi"):
        engine = segmenter._load(pkg)
    assert engine.name == "pyvi"
    assert engine.tokenize(SAMPLE) == pyvi_tokenize(SAMPLE)
    assert not target.exists()


# --- the decoder: crfsuite's Viterbi on the model's own weights ---------------------


@pytest.fixture(scope="module")
def engines():
    """Two native engines on the installed pyvi: one decoding with the model's
    weights (as tokenize does), one tagging with crfsuite (the reference)."""
    ours = segmenter._Native(segmenter.pyvi_dir())
    crfsuite = segmenter._Native(segmenter.pyvi_dir())
    crfsuite._weights = None
    crfsuite._cache.clear()
    return ours, crfsuite


def assert_decoded_as_crfsuite(texts: Iterable[str], engines) -> int:
    ours, crfsuite = engines
    bad = [t for t in texts if ours.tokenize(t) != crfsuite.tokenize(t)]
    assert not bad, f"{len(bad)} differ, e.g. {bad[:3]!r}"
    return len(texts) if isinstance(texts, list) else 0


def test_tokenize_decodes_with_the_models_weights():
    engine = segmenter._get()
    assert engine.name == "native"
    assert engine._weights is not None  # else every test above ran crfsuite's tagger only
    assert engine._weights.labels == ("B_W", "I_W")


def test_the_weights_read_are_those_crfsuite_dumps(tmp_path):
    """Every weight read from the model file equals crfsuite's own dump of it
    (which prints 6 decimals), and no feature is missing or extra."""
    engine = segmenter._get()
    weights = segmenter.read_crf_weights(engine._model)
    dump = tmp_path / "model.txt"
    engine._tagger.dump(str(dump))
    text = dump.read_text(encoding="utf-8")
    # "  (type) name --> label: weight" lines; a name may hold a newline (pyvi's "\n" token)
    feature = re.compile(r"^  \((\d)\) (.*?) --> (\S+): (\S+)$", re.MULTILINE | re.DOTALL)
    dumped_state, dumped_trans = {}, {}
    for kind, name, label, weight in feature.findall(text[text.index("TRANSITIONS = {") :]):
        (dumped_trans if kind == "1" else dumped_state)[(name, label)] = float(weight)
    labels = weights.labels
    ours_state = {
        (attr.decode("utf-8"), labels[i]): w for attr, ws in weights.state.items() for i, w in enumerate(ws) if w != 0.0
    }
    ours_trans = {(labels[i], labels[j]): w for i, row in enumerate(weights.transition) for j, w in enumerate(row)}
    assert len(dumped_state) > 10_000 and len(dumped_trans) == 4
    assert set(ours_state) == set(dumped_state)
    assert all(abs(ours_state[k] - w) <= 5e-7 for k, w in dumped_state.items())
    assert all(abs(ours_trans[k] - w) <= 5e-7 for k, w in dumped_trans.items())


def test_the_decoder_labels_as_crfsuite_on_the_seed_bulletins(engines):
    assert assert_decoded_as_crfsuite(seed_texts(), engines) >= 200


@pytest.mark.shared
def test_the_decoder_labels_as_crfsuite_on_a_vntc_sample(engines):
    sents, paragraphs = vntc_sample()
    assert_decoded_as_crfsuite(sents, engines)
    assert_decoded_as_crfsuite(paragraphs, engines)


def test_weights_that_tag_unlike_crfsuite_are_refused(pyvi_tokenize):
    """The load-time check: weights that disagree with crfsuite's tagger are not used."""
    engine = segmenter._Native(segmenter.pyvi_dir())
    real = engine._weights
    flipped = segmenter.CrfWeights(real.labels, {a: w[::-1] for a, w in real.state.items()}, real.transition)
    with pytest.raises(segmenter.SegmenterLoadError, match="unlike crfsuite"):
        engine._use_weights(flipped)
    assert engine._weights is None
    assert engine.tokenize(SAMPLE) == pyvi_tokenize(SAMPLE)  # tagged by crfsuite instead


def test_a_damaged_model_file_is_a_load_error():
    model = segmenter._get()._model
    assert segmenter.read_crf_weights(model).state  # the real one reads
    header = segmenter._HEADER.unpack_from(model, 0)
    at_features, at_attrrefs = header[7], header[11]
    bad_src = bytearray(model)
    bad_src[at_features + 12 + 20 * 5 + 4] ^= 0x7F  # feature 5's source attribute
    many = bytearray(model)
    (first_ref,) = segmenter._U32.unpack_from(model, at_attrrefs + 12)
    many[first_ref : first_ref + 4] = (2**31).to_bytes(4, "little")  # an attribute naming 2**31 features
    for damaged in [
        b"",
        model[:40],
        model[: len(model) // 2],
        b"XCRF" + model[4:],
        model[:8] + b"XXXX" + model[12:],
        bytes(bad_src),
        bytes(many),
    ]:
        with pytest.raises(segmenter.SegmenterLoadError):
            segmenter.read_crf_weights(damaged)


def test_the_decoder_breaks_ties_as_crfsuite():
    """crfsuite keeps a path only if it scores strictly more: on equal scores the
    first label (B_W) wins at every step and at the end."""
    engine = segmenter._Native(segmenter.pyvi_dir())
    labels = engine._weights.labels
    engine._weights = segmenter.CrfWeights(labels, {}, ((0.0, 0.0), (0.0, 0.0)))
    engine._tri_left = engine._tri_right = ()
    engine._cache.clear()
    entries, bigram, trigram = engine._context(engine._findall(SAMPLE))
    assert len(entries) > 10
    assert engine._decode(entries, bigram, trigram) == [labels.index("B_W")] * len(entries)


# --- compound spans: words read from the syllables' positions ----------------------


def assert_spans_as_read_from_tokenize(texts: Iterable[str]) -> tuple[int, int]:
    """compound_spans equals the spans read back from tokenize's output, where it gives any."""
    from searcher.analysis import _spans_of_tokenized

    bad, plain, n = [], 0, 0
    for text in texts:
        n += 1
        spans = segmenter.compound_spans(text)
        if spans is None:
            continue
        plain += 1
        if spans != _spans_of_tokenized(text):
            bad.append(text)
    assert not bad, f"{len(bad)} of {plain} differ, e.g. {bad[:3]!r}"
    return plain, n


def test_compound_spans_on_the_seed_bulletins():
    plain, n = assert_spans_as_read_from_tokenize(s for t in seed_texts() for s, _ in sentences(t))
    assert plain > 0.95 * n > 100


@pytest.mark.shared
def test_compound_spans_on_a_vntc_sample():
    sents, paragraphs = vntc_sample()
    plain, n = assert_spans_as_read_from_tokenize(sents)
    assert plain > 0.99 * n
    assert_spans_as_read_from_tokenize(paragraphs)


def test_compound_spans_on_edge_cases_and_random_strings():
    texts = [*EDGE_CASES, *random_texts(3000, seed=12)]
    plain, n = assert_spans_as_read_from_tokenize(texts)
    assert 0 < plain < n  # some hold "_" or "\n", or are not NFC: read from tokenize instead
    assert segmenter.compound_spans("Ban Tổ chức Trung ương") == ((4, 11), (12, 22))
    for text in ["Ban Tổ_chức", "Ban\nTổ chức", unicodedata.normalize("NFD", "Ban Tổ chức")]:
        assert segmenter.compound_spans(text) is None
