"""Write the fixture data root ``tests/fixtures/data_root``: every built-in benchmark in its
official layout, small, each with malformed rows of the kinds official releases contain (a
window past the stated duration, an inverted window, a duplicate id), and a few audio files
(100 Hz WAV, so they stay tiny) including a missing, an unreadable and a too-short one.

Run ``python tests/helpers/make_benchmark_fixtures.py`` to regenerate; the files are committed.
Everything here is made up by timebench (no third-party data).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "data_root"
SR = 100  # Hz: tiny files; the header duration is what matters


def wav(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(round(seconds * SR))
    t = np.arange(n) / SR
    sf.write(str(path), (0.1 * np.sin(2 * np.pi * 7 * t)).astype(np.float32), SR,
             subtype="PCM_16")


def junk(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF\x00\x00not really a wave file")


def jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def text(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    # -- FTAR: FTAR's own JSON list; authors' absolute paths ----------------------------------
    ftar = [
        {"id": "syn_1", "audio": "/data/WavCaps/AudioTime/syn_1.wav",
         "question": "What are the start and end times of audio matching 'dogs barking'?",
         "answer": "1.20 - 3.45, 6.00 - 7.50", "dataset": "AudioTime",
         "task": "temporal audio grounding", "split": "test", "duration": 10.0},
        # inverted interval (5.0 - 3.0): dropped by FTAR's rule, the other one stays
        {"id": "syn_2", "audio": "/data/WavCaps/AudioTime/syn_2.wav",
         "question": "What are the start and end times of audio matching 'a bell rings'?",
         "answer": "5.00 - 3.00, 8.00 - 9.00", "dataset": "AudioTime",
         "task": "temporal audio grounding", "split": "test", "duration": 10.0},
        # past the stated duration by 2 s: clipped to 10.0
        {"id": "Y0ab", "audio": "/data/WavCaps/AudioSet_SL_flac/Y0ab.flac",
         "question": "What events can you detect in the sound with the start and end timestamps?",
         "answer": "0.50 - 2.00, a door slams. 4.00 - 12.00, rain falls steadily.",
         "dataset": "AudioSet Strong", "task": "dense audio caption", "split": "test",
         "duration": 10.0},
        {"id": "libri_7", "audio": "/data/WavCaps/libri/7.flac",
         "question": "Listen to the speech and provide a summary of speech content with start "
                     "and end timestamps.",
         "answer": "0.00 - 30.00, A man describes the harbour. 30.00 - 61.50, He recalls the "
                   "storm of that winter.", "dataset": "LibriSpeech",
         "task": "timeline speech summary", "split": "test", "duration": 61.5},
        {"id": "tqa_3", "audio": "/data/WavCaps/AudioTime/syn_3.wav",
         "question": "How many times does the dog bark?", "answer": "3",
         "dataset": "AudioTime", "task": "audio tqa", "split": "test", "duration": 10.0},
        # duplicate id: renamed tqa_3#2
        {"id": "tqa_3", "audio": "/data/WavCaps/AudioTime/syn_3.wav",
         "question": "How long does the siren last?", "answer": "2.5 seconds",
         "dataset": "AudioTime", "task": "audio tqa", "split": "test", "duration": 10.0},
    ]
    text(ROOT / "ftar" / "test.json", json.dumps(ftar, indent=1) + "\n")
    wav(ROOT / "ftar" / "audio" / "AudioTime" / "syn_1.wav", 10.0)

    # -- SpotSound-Bench ----------------------------------------------------------------------
    text(ROOT / "spotsound-bench" / "annotations_processed.json", json.dumps([
        {"audio_path": "aaaaaaaaaaa_0_10.wav", "caption": "a dog barks twice",
         "annotations": [[1.0, 2.5], [6.0, 6.8]]},
        {"audio_path": "aaaaaaaaaaa_0_10.wav", "caption": "a car horn honks",
         "annotations": [[6.0, 4.0]]},                         # inverted: swapped
        {"audio_path": "bbbbbbbbbbb_30_40.wav", "caption": "glass shatters",
         "annotations": [[8.0, 12.0]]},                        # past 10 s: clipped
    ], indent=1) + "\n")
    wav(ROOT / "spotsound-bench" / "audio" / "aaaaaaaaaaa_0_10.wav", 10.0)

    # -- Lighthouse AMR releases --------------------------------------------------------------
    jsonl(ROOT / "clotho-moment" / "clotho_moment_test_release.jsonl", [
        {"qid": "101", "query": "a man is speaking while birds chirp", "duration": 60,
         "vid": "Park_5.25_27.05", "relevant_windows": [[5.25, 27.05]], "fg_dB": -3.1},
        {"qid": "102", "query": "water is running", "duration": 60,
         "vid": "Kitchen_0.0_10.5", "relevant_windows": [[0.0, 10.5]], "fg_dB": 2.0},
        # duplicate qid: the later line replaces the earlier one (standalone_eval dict by qid)
        {"qid": "102", "query": "water is running", "duration": 60,
         "vid": "Kitchen_0.0_10.5", "relevant_windows": [[0.0, 10.5], [40.0, 60.0]],
         "fg_dB": 2.0},
    ])
    wav(ROOT / "clotho-moment" / "audio" / "Park_525_2705.wav", 60.0)
    wav(ROOT / "clotho-moment" / "audio" / "Kitchen_00_105.wav", 58.0)  # shorter than stated
    jsonl(ROOT / "unav100-subset" / "unav100-subset_test_release.jsonl", [
        {"qid": 1, "query": "A large group of people plays trumpet.", "duration": 46,
         "vid": "vidAAAAAAAA", "relevant_windows": [[13.0, 29.0]]},
        # as in the official release (its line 84): a window 2 s past the stated duration, kept
        {"qid": 2, "query": "Phone ringtones ring.", "duration": 46, "vid": "vidBBBBBBBB",
         "relevant_windows": [[26.0, 48.0]]},
        # a zero-length window next to a good one: dropped (0 < length required)
        {"qid": 3, "query": "People cheer and clap.", "duration": 60, "vid": "vidCCCCCCCC",
         "relevant_windows": [[10.0, 18.0], [30.0, 30.0]]},
    ])
    jsonl(ROOT / "tut2017" / "tut2017_test_release.jsonl", [
        {"qid": 0, "query": "People are walking on the street.", "duration": 60,
         "vid": "a002_60_120", "relevant_windows": [[7.0, 12.7], [17.0, 18.7]]},
        # inverted window next to a good one: dropped
        {"qid": 1, "query": "A car passes by.", "duration": 60, "vid": "a002_60_120",
         "relevant_windows": [[40.0, 31.0], [50.0, 55.5]]},
        # the only window is inverted: the query has none left and is dropped
        {"qid": 2, "query": "A brake squeaks.", "duration": 60, "vid": "a003_0_60",
         "relevant_windows": [[20.0, 19.0]]},
    ])

    # -- AudioGrounding v2 --------------------------------------------------------------------
    text(ROOT / "audiogrounding" / "test.json", json.dumps([
        {"audiocap_id": 5001, "audio_id": "Yaaaaaaaaaaa.wav",
         "tokens": ["a", "man", "speaks", "while", "a", "dog", "barks"],
         "phrases": [
             {"phrase": "a man speaks", "start_index": 0, "end_index": 2,
              "segments": [[0.0, 2.5], [6.1, 8.0]]},
             {"phrase": "a dog barks", "start_index": 4, "end_index": 6,
              "segments": [[0, 0], [3.2, 4.0], [9.0, 8.5]]},    # inverted segment: dropped
         ]},
        {"audiocap_id": 5002, "audio_id": "Ybbbbbbbbbbb.wav", "tokens": ["wind", "blows"],
         "phrases": [
             {"phrase": "wind blows", "start_index": 0, "end_index": 1,
              "segments": [[0.0, 10.0]]},                        # past 9.98 s: kept
             # same audiocap_id and start_index: one query in the official GT table (merged)
             {"phrase": "wind blows", "start_index": 0, "end_index": 1,
              "segments": [[2.0, 3.0]]},
         ]},
    ], indent=1) + "\n")
    text(ROOT / "audiogrounding" / "duration.tsv",
         "audio_id\tduration\nYaaaaaaaaaaa.wav\t10.0\nYbbbbbbbbbbb.wav\t9.98\n")

    # -- TACOS --------------------------------------------------------------------------------
    text(ROOT / "tacos" / "annotations_strong.csv",
         "filename,onset,offset,text\n"
         "123456.mp3,0.0,4.25,\"A dog barks, then growls.\"\n"
         "123456.mp3,5.5,31.5,Wind blows steadily.\n"           # past 30 s: clipped
         "123456.mp3,9.0,7.0,A bird sings.\n"                   # inverted: dropped
         "98765.mp3,1.0,2.0,\"Someone says \"\"hello\"\" loudly.\"\n"
         "98765.mp3,12.0,14.0,\"Someone says \"\"hello\"\" loudly.\"\n")
    text(ROOT / "tacos" / "metadata.csv",
         "filename,subclass,keywords,start_time_s,end_time_s\n"
         "123456.mp3,Dog,\"dog, bark\",0,30\n98765.mp3,Speech,\"voice, hello\",10,40\n")

    # -- DESED public evaluation --------------------------------------------------------------
    desed = ROOT / "desed-public-eval" / "dataset"
    text(desed / "metadata" / "eval" / "public.tsv",
         "filename\tonset\toffset\tevent_label\n"
         "Y1aaaaaaaaaa_10_20.wav\t0.000\t0.316\tDishes\n"
         "Y1aaaaaaaaaa_10_20.wav\t3.004\t10.000\tSpeech\n"
         "Y2bbbbbbbbbb_0_10.wav\t0.500\t10.600\tDog\n"           # past the 10 s clip: kept
         "Y2bbbbbbbbbb_0_10.wav\t6.000\t5.000\tCat\n"            # inverted: dropped
         "Y3cccccccccc_30_40.wav\t1.000\t2.000\tAlarm_bell_ringing\n"
         "Y4dddddddddd_0_10.wav\t4.000\t6.000\tBlender\n")
    wav(desed / "audio" / "eval" / "public" / "Y1aaaaaaaaaa_10_20.wav", 10.0)
    wav(desed / "audio" / "eval" / "public" / "Y2bbbbbbbbbb_0_10.wav", 10.0)
    junk(desed / "audio" / "eval" / "public" / "Y3cccccccccc_30_40.wav")  # unreadable
    # Y4dddddddddd_0_10.wav is missing

    # -- AudioSet-Strong evaluation -----------------------------------------------------------
    text(ROOT / "audioset-strong-eval" / "audioset_eval_strong.tsv",
         "segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n"
         "YxlGt805lTA_30000\t2.627\t7.237\t/m/053hz1\n"
         "YxlGt805lTA_30000\t0.000\t1.200\t/m/09x0r\n"
         "Y00mE-lhe_R8_40000\t4.000\t10.000\t/m/09x0r\n"
         "Y00mE-lhe_R8_40000\t8.000\t7.500\t/m/0bt9lr\n")      # inverted: dropped
    text(ROOT / "audioset-strong-eval" / "mid_to_display_name.tsv",
         "/m/053hz1\tCheering\n/m/09x0r\tSpeech\n/m/0bt9lr\tDog\n")


if __name__ == "__main__":
    main()
