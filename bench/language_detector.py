"""The lingua language detector: how long it takes to get ready, what it costs in memory, and how
long it holds the interpreter lock (GIL) while it loads, for the configurations worth weighing.

Each configuration runs in a fresh child process (so RSS and lingua's process-wide model cache
start empty). In the child, a ticker thread wakes every 10 ms and records the longest gap between
two wake-ups: that is how long any other Python thread, the event loop included, could not run.
Getting ready is done in a worker thread, the way `asyncio.to_thread` would do it. Reported:
- ready: seconds until the first detection has returned (lazy models load on that call; preloaded
  ones in `build()`), and the longest GIL stall the ticker saw meanwhile;
- rss: the child's resident memory growth (MB) once ready;
- detect: median milliseconds of one detection of a short support message once ready;
- accuracy: share of 48 short support sentences (8 languages x 6), and of 32 texts of two or three
  words (8 x 4), detected as the right language with the confidence the product requires (0.5).

Configurations: the product's 22 languages or only 6, high (default) or low accuracy mode, models
loaded lazily on first detection or preloaded in build(), and "chunked": the 22 languages'
models preloaded two languages at a time (lingua shares loaded models between detectors), then
the real detector built over the loaded models.

    .venv/bin/python bench/language_detector.py [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = {
    "en": ["Where is my parcel? It has been two weeks.", "I want to return these shoes, they are too small.",
           "The blender arrived broken, please send a new one.", "Can I change the delivery address?",
           "Thanks, that solved it.", "Please refund my order, I never received it."],
    "de": ["Wo ist mein Paket? Es sind schon zwei Wochen.",
           "Ich möchte diese Schuhe zurückschicken, sie sind zu klein.",
           "Der Mixer kam kaputt an, bitte schicken Sie einen neuen.", "Kann ich die Lieferadresse ändern?",
           "Danke, das hat geholfen.", "Bitte erstatten Sie meine Bestellung, sie kam nie an."],
    "fr": ["Où est mon colis ? Cela fait deux semaines.", "Je veux retourner ces chaussures, elles sont trop petites.",
           "Le mixeur est arrivé cassé, envoyez-en un autre.", "Puis-je changer l'adresse de livraison ?",
           "Merci, c'est réglé.", "Remboursez ma commande, je ne l'ai jamais reçue."],
    "es": ["¿Dónde está mi paquete? Han pasado dos semanas.", "Quiero devolver estos zapatos, son pequeños.",
           "La batidora llegó rota, envíen otra por favor.", "¿Puedo cambiar la dirección de entrega?",
           "Gracias, eso lo resolvió.", "Reembolsen mi pedido, nunca lo recibí."],
    "it": ["Dov'è il mio pacco? Sono passate due settimane.", "Voglio restituire queste scarpe, sono piccole.",
           "Il frullatore è arrivato rotto, mandatene un altro.", "Posso cambiare l'indirizzo di consegna?",
           "Grazie, ha funzionato.", "Rimborsate il mio ordine, non l'ho mai ricevuto."],
    "nl": ["Waar is mijn pakket? Het is al twee weken.", "Ik wil deze schoenen terugsturen, ze zijn te klein.",
           "De blender kwam kapot aan, stuur een nieuwe.", "Kan ik het afleveradres wijzigen?",
           "Bedankt, dat heeft geholpen.", "Betaal mijn bestelling terug, ik heb hem nooit ontvangen."],
    "zh": ["我的包裹在哪里？已经两个星期了。", "我想退回这双鞋，太小了。", "搅拌机到的时候坏了，请再寄一个。",
           "我可以更改收货地址吗？", "谢谢，问题解决了。", "请退款，我从来没有收到。"],
    "ja": ["荷物はどこですか？もう二週間です。", "この靴を返品したいです。小さすぎます。",
           "ミキサーが壊れて届きました。",
           "配送先を変更できますか？", "ありがとうございます、解決しました。", "返金してください。届いていません。"],
}

# Two or three words: where lingua says its low accuracy mode falls behind.
SHORT = {
    "en": ["Thanks a lot", "where is it", "wrong size", "not received"],
    "de": ["Vielen Dank", "wo bleibt es", "falsche Größe", "nicht erhalten"],
    "fr": ["Merci beaucoup", "où est-il", "mauvaise taille", "pas reçu"],
    "es": ["Muchas gracias", "dónde está", "talla equivocada", "no recibido"],
    "it": ["Grazie mille", "dov'è", "taglia sbagliata", "non ricevuto"],
    "nl": ["Hartelijk dank", "waar is het", "verkeerde maat", "niet ontvangen"],
    "zh": ["非常感谢", "在哪里", "尺码不对", "没收到"],
    "ja": ["ありがとう", "どこですか", "サイズ違い", "届いていません"],
}

CONFIGS = {
    # name: (languages, low accuracy, preload, chunked)
    "22 high lazy (today)": ("all", False, False, False),
    "22 high preloaded": ("all", False, True, False),
    "22 high chunked": ("all", False, True, True),
    "22 low lazy": ("all", True, False, False),
    "22 low preloaded": ("all", True, True, False),
    "22 low chunked": ("all", True, True, True),
    "6 high preloaded": ("six", False, True, False),
    "6 low preloaded": ("six", True, True, False),
}


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(name: str) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from lingua import Language, LanguageDetectorBuilder

    from modules.aftersales.services.language import LANGUAGES

    which, low, preload, chunked = CONFIGS[name]
    languages = LANGUAGES if which == "all" else (
        Language.ENGLISH, Language.GERMAN, Language.FRENCH, Language.SPANISH, Language.CHINESE, Language.JAPANESE)

    def builder(langs: tuple[Language, ...]) -> LanguageDetectorBuilder:
        b = LanguageDetectorBuilder.from_languages(*langs)
        if low:
            b = b.with_low_accuracy_mode()
        if preload:
            b = b.with_preloaded_language_models()
        return b

    base = _rss_mb()
    stalls: list[float] = []
    done = threading.Event()
    result: dict[str, object] = {}

    def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            stalls.append(now - last - 0.01)
            last = now

    def get_ready() -> None:
        t0 = time.perf_counter()
        if chunked:
            for i in range(0, len(languages), 2):
                builder(languages[i:i + 2]).build()
                time.sleep(0.001)
        detector = builder(languages).build()
        detector.compute_language_confidence_values("Hello, where is my parcel?")
        result["ready_s"] = time.perf_counter() - t0
        result["detector"] = detector
        done.set()

    tick = threading.Thread(target=ticker)
    tick.start()
    time.sleep(0.05)
    work = threading.Thread(target=get_ready)
    work.start()
    work.join()
    tick.join()
    detector = result.pop("detector")
    rss = _rss_mb() - base
    times = []
    for _ in range(200):
        t = time.perf_counter()
        detector.compute_language_confidence_values("Ich möchte diese Schuhe zurückschicken, sie sind zu klein.")
        times.append((time.perf_counter() - t) * 1000)

    def accuracy(samples: dict[str, list[str]]) -> str:
        right = total = 0
        for code, texts in samples.items():
            for text in texts:
                if which != "all" and code not in ("en", "de", "fr", "es", "zh", "ja"):
                    continue
                total += 1
                values = detector.compute_language_confidence_values(text)
                top = values[0] if values else None
                right += bool(top and top.value >= 0.5 and top.language.iso_code_639_1.name.lower() == code)
        return f"{right}/{total}"

    return {"name": name, "ready_s": result["ready_s"], "stall_s": max(stalls, default=0.0), "rss_mb": rss,
            "detect_ms": statistics.median(times), "accuracy": accuracy(SAMPLES), "short": accuracy(SHORT)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="one configuration by name")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    names = [args.only] if args.only else list(CONFIGS)
    print(f"{'configuration':24s} {'ready s':>8s} {'GIL stall s':>12s} {'RSS MB':>8s} {'detect ms':>10s} "
          f"{'sentences':>9s} {'2-3 words':>9s}")
    for name in names:
        out = subprocess.run([sys.executable, __file__, "--child", name],  # noqa: S603 - our own script
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['name']:24s} {r['ready_s']:8.2f} {r['stall_s']:12.2f} {r['rss_mb']:8.0f} {r['detect_ms']:10.2f} "
              f"{r['accuracy']:>9s} {r['short']:>9s}", flush=True)


if __name__ == "__main__":
    main()
