"""Dataset loaders for the official formats (timebench/datasets/*.py).

Every expected value below is read off the fixture files in tests/fixtures/datasets/<format>/ by
hand (the comments say where it comes from); error cases are written to tmp_path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from timebench.datasets import FORMATS, LoadedDataset, load_dataset, read_audio
from timebench.datasets.base import fit_events, normalize_audio_path
from timebench.datasets.ftar import infer_qtype, parse_caption_answer, parse_tag_answer
from timebench.errors import InputError, UnknownNameError
from timebench.types import Event

FIX = Path(__file__).parent / "fixtures" / "datasets"


def _events(ref):
    return [(e.onset, e.offset, e.label) for e in ref.events]


def _write_wav(path: Path, seconds: float, sr: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.zeros(int(round(seconds * sr)), dtype=np.float32), sr)


# -- path safety ---------------------------------------------------------------------------------

class TestAudioPaths:
    def test_relative_paths_are_normalised(self, tmp_path):
        assert normalize_audio_path("a/./b/../c.wav", root=tmp_path) == "a/c.wav"
        assert normalize_audio_path("clips\\x.wav", root=tmp_path) == "clips/x.wav"

    @pytest.mark.parametrize("raw", ["../x.wav", "a/../../x.wav", "..", "."])
    def test_escapes_are_rejected(self, tmp_path, raw):
        with pytest.raises(InputError) as err:
            normalize_audio_path(raw, root=tmp_path, path="m.json", line=3, field="audio")
        assert (err.value.path, err.value.line, err.value.field) == ("m.json", 3, "audio")

    def test_absolute_inside_root_becomes_relative(self, tmp_path):
        inside = (tmp_path / "sub" / "x.wav").as_posix()
        assert normalize_audio_path(inside, root=tmp_path) == "sub/x.wav"

    def test_absolute_inside_a_symlinked_root(self, tmp_path):
        (tmp_path / "real").mkdir()
        (tmp_path / "link").symlink_to(tmp_path / "real")
        for spelled in ("real", "link"):
            raw = (tmp_path / spelled / "x.wav").as_posix()
            assert normalize_audio_path(raw, root=tmp_path / "link") == "x.wav"
        with pytest.raises(InputError):
            normalize_audio_path((tmp_path / "link" / ".." / "y.wav").as_posix(),
                                 root=tmp_path / "link")

    def test_absolute_outside_root_is_rejected(self, tmp_path):
        with pytest.raises(InputError, match="outside the dataset root"):
            normalize_audio_path("/etc/passwd", root=tmp_path, path="m.json", line=1)
        # a sibling folder whose name starts with the root's name is still outside
        with pytest.raises(InputError):
            normalize_audio_path(tmp_path.as_posix() + "2/x.wav", root=tmp_path)

    def test_strip_prefix_and_basename(self, tmp_path):
        raw = "/data/WavCaps/AudioSet_SL_flac/Y1.flac"
        assert normalize_audio_path(raw, root=tmp_path, strip_prefix="/data/WavCaps/") == \
            "AudioSet_SL_flac/Y1.flac"
        assert normalize_audio_path(raw, root=tmp_path, strip_prefix="/data/WavCaps") == \
            "AudioSet_SL_flac/Y1.flac"
        assert normalize_audio_path(raw, root=tmp_path, basename=True) == "Y1.flac"

    @pytest.mark.parametrize("raw", ["", "  ", "a\x00b.wav", 5])
    def test_bad_values(self, tmp_path, raw):
        with pytest.raises(InputError):
            normalize_audio_path(raw, root=tmp_path)


def test_fit_events_clips_within_tolerance_and_rejects_beyond():
    events, n = fit_events((Event(1.0, 10.2), Event(2.0, 3.0)), 10.0, tolerance=0.5)
    assert n == 1 and events[0].offset == 10.0 and events[1] == Event(2.0, 3.0)
    with pytest.raises(InputError, match="beyond the clip duration"):
        fit_events((Event(1.0, 10.6),), 10.0, tolerance=0.5, path="f", line=2)
    assert fit_events((Event(1.0, 99.0),), None) == ((Event(1.0, 99.0),), 0)


# -- FTAR ----------------------------------------------------------------------------------------

class TestFtarGrammar:
    def test_brief_example(self):
        # the example answer of the brief: two windows share a caption, then one more group
        got = parse_caption_answer(
            "7.90 - 8.32, 8.71 - 8.81, brief impact sounds. 0.00 - 10.00, The sound of a truck.")
        assert [(e.onset, e.offset, e.label) for e in got] == [
            (7.9, 8.32, "brief impact sounds"), (8.71, 8.81, "brief impact sounds"),
            (0.0, 10.0, "The sound of a truck")]

    def test_caption_may_hold_commas_and_inner_full_stops(self):
        got = parse_caption_answer("0 - 5, Mr. Lee speaks, then leaves. 5 - 9.5, Rain")
        assert [(e.onset, e.offset, e.label) for e in got] == [
            (0.0, 5.0, "Mr. Lee speaks, then leaves"), (5.0, 9.5, "Rain")]

    @pytest.mark.parametrize("bad", [
        "",                                  # empty
        "1.2 - 3.4",                         # no caption
        "1.2 - 3.4, ",                       # empty caption
        "a sound, 1.2 - 3.4",                # caption first
        "1.2 - 3.4 brief sounds.",           # missing comma
        "3.4 - 1.2, reversed.",              # end before start
        "1 - 2, x. 3 - 4 , y.",              # malformed second group
        "-1.0 - 2.0, negative.",             # sign
        "1e1 - 2e1, exponent.",              # exponent
    ])
    def test_bad_caption_answers(self, bad):
        with pytest.raises(InputError) as err:
            parse_caption_answer(bad, path="f.json", line=7)
        assert err.value.field == "answer" and err.value.line == 7

    def test_tag_answers(self):
        assert parse_tag_answer("1.2-3.45, 6.0 - 7.5") == (Event(1.2, 3.45), Event(6.0, 7.5))
        assert parse_tag_answer(" 0.5-2.0. ") == (Event(0.5, 2.0),)
        for bad in ("", "1.2", "1.2 - 3.4 dogs", "from 1.2 to 3.4", "3 - 1", "1-2,,3-4"):
            with pytest.raises(InputError):
                parse_tag_answer(bad)

    @pytest.mark.parametrize("question, qtype", [
        ("What is the total count of the generic impact sounds in the provided audio clip?",
         "count"),
        ("How many times does the dog bark?", "count"),
        ("How long does the alarm last?", "duration"),
        ("For how many seconds does the engine run?", "duration"),
        ("Which happens first, the chirp or the noise burst?", "order"),
        ("Does the speech come before the music?", "order"),
        ("What is the loudest sound?", "other"),
    ])
    def test_qtype(self, question, qtype):
        assert infer_qtype(question) == qtype


class TestFtarLoader:
    path = FIX / "ftar" / "ftar_sample.json"

    def load(self, **kw):
        return load_dataset("ftar", self.path, strip_prefix="/data/WavCaps/", **kw)

    def test_all_tasks(self):
        ds = self.load()
        assert isinstance(ds, LoadedDataset) and len(ds) == 7 and ds.task_kind is None
        by_id = {r.id: r for r in ds}
        dac = by_id["Y--12UOziMF0"]
        assert dac.audio == "AudioSet_SL_flac/Y--12UOziMF0.flac" and dac.duration == 10.0
        assert _events(dac)[2] == (0.0, 10.0, "The sound of a truck")
        assert dac.extra["dataset"] == "AudioSet Strong" and dac.extra["split"] == "train"
        tag = by_id["syn_17"]
        assert tag.query == "dogs barking" and _events(tag) == [(1.2, 3.45, None), (6.0, 7.5, None)]
        assert by_id["syn_18"].query == "a man's voice"
        tss = by_id["libri_3"]
        # answer ends at 60.05 on a 60.0 s clip: clipped (within the 0.5 s tolerance) and noted
        assert _events(tss) == [(0.0, 31.2,
                                 "Mr. Smith describes his trip, the weather and the food"),
                                (31.2, 60.0, "He explains why he came home early")]
        assert any("clipped" in n for n in ds.notes)
        assert by_id["tqa_1"].answer == "2" and by_id["tqa_1"].extra["qtype"] == "count"
        assert by_id["tqa_2"].extra["qtype"] == "duration"
        assert by_id["tqa_3"].extra["qtype"] == "order" and by_id["tqa_3"].events == ()
        assert ds.root == self.path.parent.absolute()

    @pytest.mark.parametrize("task, ids", [
        ("tag", ["syn_17", "syn_18"]), ("temporal audio grounding", ["syn_17", "syn_18"]),
        ("dac", ["Y--12UOziMF0"]), ("tss", ["libri_3"]), ("tqa", ["tqa_1", "tqa_2", "tqa_3"])])
    def test_task_selection(self, task, ids):
        ds = self.load(task=task)
        assert ds.ids() == ids
        assert ds.task_kind in ("tag", "dac", "tss", "tqa")

    def test_unknown_task_option(self):
        with pytest.raises(InputError, match="unknown FTAR task"):
            self.load(task="karaoke")

    def test_absolute_paths_need_a_prefix_or_root(self):
        with pytest.raises(InputError) as err:
            load_dataset("ftar", self.path)
        # line numbers are those of the item's opening brace: line 2 for the first item
        assert err.value.field == "audio" and err.value.line == 2
        ds = load_dataset("ftar", self.path, root="/data/WavCaps")
        assert ds.references[0].audio == "AudioSet_SL_flac/Y--12UOziMF0.flac"

    def _bad(self, tmp_path, **changes):
        items = json.loads(self.path.read_text())
        items[1].update(changes)
        p = tmp_path / "bad.json"
        p.write_text(json.dumps(items, indent=2))
        with pytest.raises(InputError) as err:
            load_dataset("ftar", p, strip_prefix="/data/WavCaps/", on_invalid="error")
        return err.value, p

    def test_malformed_answer_names_file_line_field(self, tmp_path):
        err, p = self._bad(tmp_path, answer="from 1.2 to 3.4 seconds")
        # with indent=2 the second list item starts on line 12 (1 '[' + 10 lines of item 0 + 1)
        assert err.path == str(p) and err.line == 12 and err.field == "answer"

    def test_other_row_errors(self, tmp_path):
        assert self._bad(tmp_path, question="When do dogs bark?")[0].field == "question"
        assert self._bad(tmp_path, task="karaoke")[0].field == "task"
        assert self._bad(tmp_path, duration="ten")[0].field == "duration"
        assert self._bad(tmp_path, answer=7)[0].field == "answer"
        # 12.0 on a 9.8 s clip: strict refuses; FTAR's rule (rules.RULES) clips and counts
        assert self._bad(tmp_path, answer="1.0 - 12.0")[0].field.startswith("answer")
        items = json.loads(self.path.read_text())
        items[1]["answer"] = "1.0 - 12.0"
        p = tmp_path / "official.json"
        p.write_text(json.dumps(items))
        ds = load_dataset("ftar", p, strip_prefix="/data/WavCaps/")
        assert ds.issue_counts() == {"past_end:clipped": 2}  # + the fixture's 60.05 s row
        assert self._bad(tmp_path, audio="../../etc/passwd")[0].field == "audio"

    def test_duplicate_ids_are_renamed(self, tmp_path):
        items = json.loads(self.path.read_text())
        items[2]["id"] = items[1]["id"]
        p = tmp_path / "dup.json"
        p.write_text(json.dumps(items))
        ds = load_dataset("ftar", p, strip_prefix="/data/WavCaps/")
        assert ds.ids()[1:3] == ["syn_17", "syn_17#2"]
        assert ds.references[2].extra["original_id"] == "syn_17"
        assert any("renamed" in n for n in ds.notes)


# -- SpotSound-Bench -----------------------------------------------------------------------------

class TestSpotSound:
    path = FIX / "spotsound" / "spotsound_bench.json"

    def test_rows(self):
        ds = load_dataset("spotsound", self.path)
        assert ds.task_kind == "spotsound"
        assert ds.ids() == ["5VElNpaNPoo_0_60#0", "5VElNpaNPoo_0_60#1", "abc_def_30_90#2",
                            "clip_without_times#3", "clip_without_times#4"]
        r = ds.references
        assert r[0].present is True and _events(r[0]) == [(12.0, 13.5, None), (20.25, 21.0, None)]
        assert r[1].present is False and r[1].events == () and r[1].query == "a siren wails"
        # durations: from the names (60-0, 90-30), unknown, from the row field
        assert [x.duration for x in r] == [60.0, 60.0, 60.0, None, 45.0]
        assert _events(r[2]) == [(59.8, 60.0, None)]  # 60.2 clipped to the 60 s clip
        assert r[2].audio == "audio/abc_def_30_90.wav"
        assert any("without a known duration" in n for n in ds.notes)

    def test_audio_header_wins(self, tmp_path):
        _write_wav(tmp_path / "5VElNpaNPoo_0_60.wav", 30.0)
        rows = json.loads(self.path.read_text())[:2]
        p = tmp_path / "bench.json"
        p.write_text(json.dumps(rows))
        ds = load_dataset("spotsound", p)
        assert [x.duration for x in ds] == [30.0, 30.0]
        ds = load_dataset("spotsound", p, probe_audio=False)
        assert [x.duration for x in ds] == [60.0, 60.0]

    def test_errors(self, tmp_path):
        for row, field in [({"audio_path": "a_0_10.wav", "annotations": []}, "caption"),
                           ({"audio_path": "a_0_10.wav", "caption": "x"}, "annotations"),
                           ({"audio_path": "a_0_10.wav", "caption": "x",
                             "annotations": [[5, 3]]}, "annotations[0]"),
                           ({"audio_path": "a_0_10.wav", "caption": "x",
                             "annotations": [[5, 13]]}, "annotations[0]"),
                           ({"audio_path": "/abs/a_0_10.wav", "caption": "x",
                             "annotations": []}, "audio_path")]:
            p = tmp_path / "b.jsonl"
            p.write_text("\n" + json.dumps(row) + "\n")
            with pytest.raises(InputError) as err:  # strict mode; official rule: test_data_rules
                load_dataset("spotsound", p, on_invalid="error")
            assert err.value.line == 2 and err.value.field == field


# -- AudioGrounding ------------------------------------------------------------------------------

class TestAudioGrounding:
    path = FIX / "audiogrounding" / "test.json"

    def test_phrases(self):
        ds = load_dataset("audiogrounding", self.path,
                          durations=FIX / "audiogrounding" / "duration.tsv")
        # 4 phrases; "birds chirp" has only [0, 0] and is left out; ids audiocap_startindex
        assert ds.ids() == ["103014_0", "103014_4", "103015_0"]
        by_id = {r.id: r for r in ds}
        assert _events(by_id["103014_4"]) == [(3.2, 4.0, None)]  # the [0, 0] segment skipped
        assert by_id["103015_0"].query == "wind blows"           # token list joined
        assert by_id["103015_0"].duration == 9.98
        # the official evaluation does not clip: the 10.0 s segment is kept and counted
        assert _events(by_id["103015_0"]) == [(0.0, 10.0, None)]
        assert ds.issue_counts() == {"past_end:kept": 1}
        strict = load_dataset("audiogrounding", self.path, on_invalid="error",
                              durations=FIX / "audiogrounding" / "duration.tsv")
        assert _events(strict.references[2]) == [(0.0, 9.98, None)]  # clipped within tolerance
        assert by_id["103014_0"].extra["caption"] == "a man speaks while a dog barks"
        assert any("left out" in n for n in ds.notes)

    def test_keep_empty(self):
        ds = load_dataset("audiogrounding", self.path, keep_empty=True, probe_audio=False)
        assert ds.ids()[-1] == "103015_3"
        assert ds.references[-1].present is False and ds.references[0].present is True
        assert ds.references[0].duration is None

    def test_errors(self, tmp_path):
        items = json.loads(self.path.read_text())
        items[0]["phrases"][1]["start_index"] = "4"
        p = tmp_path / "t.json"
        p.write_text(json.dumps(items))
        with pytest.raises(InputError) as err:
            load_dataset("audiogrounding", p)
        # json.dumps without indent writes the whole list on line 1
        assert err.value.field == "phrases[1].start_index" and err.value.line == 1


# -- Lighthouse ----------------------------------------------------------------------------------

class TestLighthouse:
    def test_clotho_moment_drops_dots(self):
        ds = load_dataset("clotho_moment", FIX / "lighthouse" / "clotho_moment_test_release.jsonl")
        assert ds.ids() == ["0", "1"]
        assert [r.audio for r in ds] == ["clotho_moment_test_525.wav", "clotho_moment_test_00.wav"]
        assert ds.references[0].extra["fg_dB"] == -3.1 and ds.references[1].duration == 60.0
        assert _events(ds.references[1]) == [(0.0, 10.5, None), (40.0, 60.0, None)]

    def test_generic_and_pattern(self):
        path = FIX / "lighthouse" / "tut2017_test_release.jsonl"
        assert load_dataset("tut2017", path).references[0].audio == "b093_60_120.wav"
        ds = load_dataset("lighthouse", path, audio_pattern="wav/{vid}.flac")
        assert ds.references[0].audio == "wav/b093_60_120.flac"
        with pytest.raises(InputError):
            load_dataset("lighthouse", path, audio_pattern="{video}.wav")

    def test_empty_windows_rejected(self, tmp_path):
        p = tmp_path / "x.jsonl"
        p.write_text(json.dumps({"qid": 1, "query": "q", "duration": 60, "vid": "v",
                                 "relevant_windows": []}) + "\n")
        with pytest.raises(InputError) as err:
            load_dataset("lighthouse", p, on_invalid="error")
        assert err.value.field == "relevant_windows" and err.value.line == 1
        # under Lighthouse's own rule the query is dropped and counted
        ds = load_dataset("lighthouse", p)
        assert len(ds) == 0 and ds.issue_counts() == {"empty_query:dropped": 1}


# -- DESED / AudioSet-Strong TSV -----------------------------------------------------------------

class TestDcaseTsv:
    def test_desed_with_durations(self):
        ds = load_dataset("desed", FIX / "dcase_tsv" / "desed_validation.tsv",
                          durations=FIX / "dcase_tsv" / "desed_durations.tsv")
        assert ds.task_kind == "sed" and ds.labels == ("Dishes", "Dog", "Speech")
        assert ds.ids() == ["Y--4gqARaEJE_0.000_10.000.wav", "Y-BJNMHMZDcU_50.000_60.000.wav",
                            "Yempty_0.000_10.000.wav", "Ynoevents_0.000_10.000.wav"]
        r = ds.references
        assert _events(r[0]) == [(0.0, 0.316, "Dishes"), (3.004, 10.0, "Speech")]
        assert r[1].duration == 9.98 and _events(r[1]) == [(0.0, 10.0, "Dog")]  # kept, counted
        assert ds.issue_counts() == {"past_end:kept": 1}
        assert r[2].events == () and r[3].events == () and r[3].duration == 10.0
        assert r[0].audio == r[0].id

    def test_audioset_strong_with_label_map(self):
        ds = load_dataset("audioset_strong", FIX / "dcase_tsv" / "audioset_eval_strong.tsv",
                          label_map=FIX / "dcase_tsv" / "class_labels_indices.csv")
        assert ds.ids() == ["YxlGt805lTA_30000", "Y00mE-lhe_R8_40000"]
        assert ds.references[0].audio == "YxlGt805lTA_30000.wav"
        assert _events(ds.references[0]) == [(2.627, 7.237, "Cheering, applause"),
                                             (0.0, 1.2, "Speech")]
        assert ds.labels == ("/m/0unknown", "Cheering, applause", "Speech")
        assert any("not in the label map" in n for n in ds.notes)
        assert ds.references[0].duration is None

    def test_two_column_label_map_and_audio_durations(self, tmp_path):
        (tmp_path / "map.tsv").write_text("/m/09x0r\tSpeech\n/m/053hz1\tApplause\n")
        _write_wav(tmp_path / "audio" / "YxlGt805lTA_30000.wav", 10.0)
        src = (FIX / "dcase_tsv" / "audioset_eval_strong.tsv").read_text()
        (tmp_path / "strong.tsv").write_text(src)
        ds = load_dataset("dcase_tsv", tmp_path / "strong.tsv", label_map=tmp_path / "map.tsv",
                          audio_pattern="audio/{id}.wav")
        assert ds.references[0].duration == 10.0 and ds.references[1].duration is None
        assert ds.labels == ("/m/0unknown", "Applause", "Speech")

    def test_bad_rows(self, tmp_path):
        p = tmp_path / "s.tsv"
        p.write_text("segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n"
                     "Y1_0\t1.0\tx\t/m/1\n")
        with pytest.raises(InputError) as err:
            load_dataset("audioset_strong", p)
        assert (err.value.line, err.value.field) == (2, "end_time_seconds")
        p.write_text("segment_id\tstart\tend\tlabel\n")
        with pytest.raises(InputError, match="lacks"):
            load_dataset("audioset_strong", p)


# -- TACOS ---------------------------------------------------------------------------------------

class TestTacos:
    path = FIX / "tacos" / "annotations_strong.csv"

    def test_quoted_csv_and_metadata(self):
        ds = load_dataset("tacos", self.path, metadata=FIX / "tacos" / "metadata.csv")
        assert ds.task_kind == "dac" and ds.ids() == ["123456.mp3", "98765.mp3"]
        a, b = ds.references
        assert a.audio == "audio/123456.mp3" and a.duration == 30.0
        # 30.3 s on a 30 s clip -> clipped, noted
        assert _events(a) == [(0.0, 4.25, "A dog barks, then growls."),
                              (5.5, 30.0, "Wind blows steadily.")]
        assert _events(b) == [(1.0, 2.0, 'Someone says "hello" loudly.')]
        assert a.extra["subclass"] == "Dog" and a.extra["keywords"] == "dog, bark, growl"

    def test_audio_header_overrides_30s(self, tmp_path):
        _write_wav(tmp_path / "audio" / "98765.wav", 12.0)
        ds = load_dataset("tacos", self.path, root=tmp_path, audio_pattern="audio/{stem}.wav")
        assert [r.duration for r in ds] == [30.0, 12.0]

    def test_errors(self, tmp_path):
        p = tmp_path / "a.csv"
        p.write_text("filename,onset,offset,text\nx.mp3,2.0,1.0,cap\n")
        with pytest.raises(InputError) as err:
            load_dataset("tacos", p, on_invalid="error")
        assert (err.value.line, err.value.field) == (2, "onset")
        p.write_text("filename,onset,text\n")
        with pytest.raises(InputError, match="offset"):
            load_dataset("tacos", p)


# -- contract JSONL ------------------------------------------------------------------------------

def test_jsonl_paths(tmp_path):
    ds = load_dataset("jsonl", FIX / "jsonl" / "refs.jsonl", task_kind="tag")
    assert [r.audio for r in ds] == ["clips/a1.wav", "clips/a2.wav"] and ds.task_kind == "tag"
    p = tmp_path / "r.jsonl"
    p.write_text('{"id": "a", "audio": "x.wav"}\n{"id": "b", "audio": "../secret.wav"}\n')
    with pytest.raises(InputError) as err:
        load_dataset("jsonl", p)
    assert (err.value.line, err.value.field) == (2, "audio")


# -- dispatcher ----------------------------------------------------------------------------------

class TestDispatcher:
    def test_unknown_format_suggests(self):
        with pytest.raises(UnknownNameError, match="spotsound"):
            load_dataset("spotsond", "x.json")

    def test_unknown_option_lists_accepted(self):
        with pytest.raises(InputError, match="strip_prefix"):
            load_dataset("ftar", FIX / "ftar" / "ftar_sample.json", prefix="/data/")

    def test_path_required(self):
        with pytest.raises(InputError, match="needs a path"):
            load_dataset("tacos")

    def test_formats_listed(self):
        for name in ("ftar", "spotsound", "audiogrounding", "lighthouse", "clotho_moment",
                     "dcase_tsv", "tacos", "hf", "jsonl", "mini"):
            assert name in FORMATS
        assert "desed" in FORMATS and "audioset_strong" in FORMATS


def test_import_stays_light():
    code = ("import sys, timebench.datasets as d; "
            "d.load_dataset('jsonl', sys.argv[1]); "
            "bad = [m for m in ('torch', 'transformers', 'datasets', 'pandas') "
            "if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code, str(FIX / "jsonl" / "refs.jsonl")], check=True)


# -- audio reading -------------------------------------------------------------------------------

class TestReadAudio:
    def test_stereo_44k_to_16k_mono(self, tmp_path):
        sr = 44100
        t = np.arange(sr) / sr
        tone = 0.5 * np.sin(2 * np.pi * 1000 * t)
        sf.write(str(tmp_path / "s.wav"), np.stack([tone, tone], axis=1), sr, subtype="FLOAT")
        x, out_sr = read_audio(tmp_path / "s.wav")
        assert out_sr == 16000 and x.dtype == np.float32 and x.ndim == 1
        assert x.size == 16000  # 44100 * 160 / 441
        spectrum = np.abs(np.fft.rfft(x))
        assert np.argmax(spectrum) == 1000  # 1 Hz bins over one second
        mid = x[1000:-1000]
        assert abs(np.sqrt(np.mean(mid ** 2)) - 0.5 / np.sqrt(2)) < 0.005

    def test_channels_averaged_and_native_rate(self, tmp_path):
        data = np.stack([np.full(800, 0.5), np.full(800, -0.1)], axis=1)
        sf.write(str(tmp_path / "c.wav"), data, 8000, subtype="FLOAT")
        x, sr = read_audio(tmp_path / "c.wav", target_sr=None)
        assert sr == 8000 and np.allclose(x, 0.2)

    def test_errors(self, tmp_path):
        with pytest.raises(InputError, match="not found"):
            read_audio(tmp_path / "missing.wav")
        (tmp_path / "junk.wav").write_bytes(b"not audio at all")
        with pytest.raises(InputError, match="cannot decode"):
            read_audio(tmp_path / "junk.wav")


def test_hf_without_datasets_names_the_extra(tmp_path, monkeypatch):
    from timebench.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(MissingDependencyError, match=r"timebench\[hf\]"):
        load_dataset("hf", tmp_path)


# -- Hugging Face datasets (optional extra) ------------------------------------------------------

class TestHF:
    @pytest.fixture(autouse=True)
    def _need_datasets(self):
        pytest.importorskip("datasets")

    def test_save_to_disk_with_column_mapping(self, tmp_path):
        import datasets

        _write_wav(tmp_path / "ds" / "audio" / "a.wav", 2.0)
        ds = datasets.Dataset.from_dict({
            "qid": ["q1", "q2"], "audio_path": ["audio/a.wav", "audio/b.wav"],
            "caption": ["a dog", "a cat"], "windows": [[[0.5, 1.0]], []],
            "present": [True, False]})
        ds.save_to_disk(str(tmp_path / "ds"))
        out = load_dataset("hf", tmp_path / "ds", columns={"events": "windows"})
        assert out.ids() == ["q1", "q2"] and out.root == (tmp_path / "ds").absolute()
        assert [r.query for r in out] == ["a dog", "a cat"]
        assert _events(out.references[0]) == [(0.5, 1.0, None)]
        assert out.references[1].present is False
        assert out.references[0].duration == 2.0 and out.references[1].duration is None

    def test_dataset_dict_and_parquet(self, tmp_path):
        import datasets

        d = datasets.Dataset.from_dict({"id": ["x"], "audio": ["x.wav"], "question": ["q?"],
                                        "answer": ["3"]})
        datasets.DatasetDict({"test": d, "train": d}).save_to_disk(str(tmp_path / "dd"))
        with pytest.raises(InputError, match="split"):
            load_dataset("hf", tmp_path / "dd")
        assert load_dataset("hf", tmp_path / "dd", split="test").references[0].answer == "3"
        d.to_parquet(str(tmp_path / "d.parquet"))
        got = load_dataset("hf", tmp_path / "d.parquet")
        assert got.references[0].question == "q?" and got.root == tmp_path.absolute()

    def test_embedded_audio_bytes_are_extracted(self, tmp_path):
        import io

        import datasets

        buf = io.BytesIO()
        sf.write(buf, np.zeros(12000, dtype=np.float32), 8000, format="WAV")
        d = datasets.Dataset.from_dict({
            "id": ["e1"], "audio": [{"bytes": buf.getvalue(), "path": "orig/e1.wav"}],
            "query": ["q"], "events": [[[0.1, 0.2]]]})
        d = d.cast_column("audio", datasets.Audio(decode=False))
        d.save_to_disk(str(tmp_path / "emb"))
        out = load_dataset("hf", tmp_path / "emb", extract_dir=tmp_path / "x")
        ref = out.references[0]
        assert out.root == (tmp_path / "x").absolute() and ref.audio.endswith(".wav")
        assert (out.root / ref.audio).is_file() and ref.duration == 1.5
        x, sr = read_audio(out.audio_path(ref), target_sr=None)
        assert sr == 8000 and x.size == 12000

    def test_bad_column_mapping(self, tmp_path):
        import datasets

        datasets.Dataset.from_dict({"id": ["x"]}).save_to_disk(str(tmp_path / "d"))
        with pytest.raises(InputError, match="no column"):
            load_dataset("hf", tmp_path / "d", columns={"query": "caption"})
        with pytest.raises(InputError, match="unknown contract field"):
            load_dataset("hf", tmp_path / "d", columns={"text": "id"})
