"""One pocketsphinx decoder process for Callwright (Debian packages python3-pocketsphinx and
pocketsphinx-en-us). It loads the acoustic model, dictionary and language model once, then decodes
utterances one at a time, as JSON lines:

  in:  {"id": 1, "pcm": "<base64 of 16-bit little-endian mono PCM at 16 kHz>",
        "phrases": ["speak to a human"], "answers": ["yes", "no"]}
  out: {"id": 1, "text": "...", "confidence": 0.8, "search": "grammar" | "dictation"}
       {"id": 1, "error": "..."}
The first line out is {"ready": true} (or {"fatal": "..."} and exit 1).

Call audio is 8 kHz; the US English model is trained on 16 kHz speech, so the caller upsamples
utterances with a proper low-pass filter (the upper band stays empty, which the model tolerates far
better than a mismatched front end or the images linear interpolation leaves there).

Three searches, chosen per utterance by the hints the call gives:
- answers (a question with a closed set of expected answers): a grammar of just those answers; the
  result is always one of them (like a DTMF menu, it cannot tell "none of these" from a mumble);
- phrases (the agent's intent phrases): a grammar of the phrases amid common words; when a phrase is
  found the result is that phrase, else the utterance goes to dictation;
- dictation: the US English language model, free text (slow, and weak on 8 kHz audio: see
  docs/speech.md for measured word error rates).
"""
import base64
import hashlib
import json
import re
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    from pocketsphinx import Decoder  # noqa: E402
except ImportError as err:  # pragma: no cover
    print(json.dumps({"fatal": "python3-pocketsphinx is not installed (%s)" % err}), flush=True)
    sys.exit(1)

# Common words a phrase may sit amid. Kept short: every word here is one more way for the decoder to
# explain speech without the phrase, and a long list lets it explain the phrase away too.
FILLERS = """a about am an and any are as at be but can could do for from get go have hello hi i
i'm if in is it just know like me my""".split()
# Words people answer the phone with, for spotting phrases that may be absent (a greeting classifier):
# with only the phrases to choose from, "hi, who is this?" would come out as "you've reached".
SPOT_WORDS = """yes yeah no who what where this that there speaking here hey morning afternoon evening
good anyone sorry can't hear you oh okay well""".split()


def load(model, wide):
    config = Decoder.default_config()
    config.set_string("-hmm", model + "/en-us")
    config.set_string("-lm", model + "/en-us.lm.bin")
    config.set_string("-dict", model + "/cmudict-en-us.dict")
    config.set_string("-logfn", "/dev/null")
    if wide:
        # Grammar searches keep far more paths alive: with the default beams the phrase's path is
        # pruned on telephone audio and the search ends with no result at all.
        config.set_float("-beam", 1e-80)
        config.set_float("-pbeam", 1e-80)
        config.set_float("-wbeam", 1e-60)
    return Decoder(config)


def main():
    model = sys.argv[1]
    try:
        dictation = load(model, False)
        grammar = load(model, True)
    except Exception as err:  # pragma: no cover
        print(json.dumps({"fatal": "pocketsphinx could not load %s: %s" % (model, err)}), flush=True)
        sys.exit(1)
    words = set()
    with open(model + "/cmudict-en-us.dict", encoding="utf-8", errors="replace") as f:
        for line in f:
            words.add(re.sub(r"\(\d+\)$", "", line.split(" ", 1)[0]))
    fillers = [w for w in FILLERS if w in words]
    spot_words = [w for w in FILLERS + SPOT_WORDS if w in words]
    searches = {}

    def normalise(phrase):
        return re.sub(r"[^a-z' ]+", " ", phrase.lower()).split()

    def grammar_for(phrases, closed, spot=False):
        key = hashlib.sha1(json.dumps([sorted(phrases), closed, spot]).encode()).hexdigest()[:16]
        if key in searches:
            return searches[key]
        items = []
        for p in phrases:
            ws = normalise(p)
            if ws and all(w in words for w in ws):
                items.append(" ".join(ws))
        if not items:
            searches[key] = None
            return None
        name = "g" + key
        alts = " | ".join("(%s)" % i for i in sorted(set(items)))
        if closed:
            rule = "public <s> = %s;\n" % alts
        elif spot:
            # Phrases may be absent: any run of phrases and common words, so speech without a phrase
            # is explained by the words rather than forced into the nearest phrase.
            own = set(w for i in items for w in i.split())
            filler = " | ".join(w for w in spot_words if w not in own)
            rule = "public <s> = <x>+;\n<x> = %s | %s;\n" % (alts, filler)
        else:
            own = set(w for i in items for w in i.split())
            filler = " | ".join(w for w in fillers if w not in own)
            rule = "public <s> = [<f>*] (%s) [<f>*];\n<f> = %s;\n" % (alts, filler)
        grammar.set_jsgf_string(name, "#JSGF V1.0;\ngrammar %s;\n%s" % (name, rule))
        searches[key] = (name, sorted(set(items), key=len, reverse=True))
        return searches[key]

    def decode(decoder, search, pcm):
        decoder.set_search(search)
        decoder.start_utt()
        decoder.process_raw(pcm, False, True)
        decoder.end_utt()
        hyp = decoder.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return "", None
        return hyp.hypstr.strip(), hyp.best_score

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        rid = req.get("id")
        try:
            pcm = base64.b64decode(req.get("pcm", ""))
            answers = req.get("answers") or []
            phrases = req.get("phrases") or []
            spot = bool(req.get("spot"))
            out = None
            if answers:
                g = grammar_for(answers, True)
                if g is not None:
                    text, _ = decode(grammar, g[0], pcm)
                    out = {"id": rid, "text": text, "search": "answers", "confidence": 0.5 if text else 0.0}
            elif phrases:
                g = grammar_for(phrases, False, spot)
                if g is not None and spot:
                    # The words as heard: the caller matches phrases itself; no dictation pass.
                    text, _ = decode(grammar, g[0], pcm)
                    out = {"id": rid, "text": text, "search": "spot", "confidence": 0.5 if text else 0.0}
                elif g is not None:
                    text, _ = decode(grammar, g[0], pcm)
                    found = next((i for i in g[1] if (" %s " % i) in (" %s " % text)), None)
                    if found:
                        out = {"id": rid, "text": found, "search": "phrases", "confidence": 0.5}
            if out is None:
                text, _ = decode(dictation, "_default", pcm)
                out = {"id": rid, "text": text, "search": "dictation", "confidence": 0.3 if text else 0.0}
            print(json.dumps(out), flush=True)
        except Exception as err:
            print(json.dumps({"id": rid, "error": str(err)}), flush=True)


if __name__ == "__main__":
    main()
