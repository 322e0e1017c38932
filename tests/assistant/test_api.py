import json
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.chat import Conversation
from assistant.question import Question
from assistant.records import AskSettings
from index.chunk import Chunker
from index.embed import HashingEmbedder
from index.ingest import ingest


def test_ask_quotes_and_cites_verbatim(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("Who scored 31 points in the final?")
    assert answer.is_answer
    best = answer.sentences[0]
    assert "Sam Ortiz" in best.text
    assert best.citation.source == "Sports Daily" and best.citation.url == "https://example.org/a2"
    for s in answer.sentences:
        assert small_assistant.article_text(s.citation.article_id)[s.citation.start : s.citation.end] == s.text


def test_unanswerable_question_abstains(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("Quantum chromodynamics lattice gauge?")
    assert not answer.is_answer and answer.sentences == ()


def test_conversation_records_turns_and_resolves_follow_ups(small_assistant: Assistant) -> None:
    chat = Conversation()
    small_assistant.ask("Which bridge did the council close in Riverton?", chat)
    answer = small_assistant.ask("When will it reopen?", chat)
    assert len(chat.turns) == 2
    assert "bridge" in answer.query.lower()
    assert answer.is_answer and "reopen next week" in answer.sentences[0].text


def test_hostile_questions_are_bounded_and_sane(small_assistant: Assistant) -> None:
    for question in ["x" * 100_000, "<script>alert(1)</script>", "🌉🌊❓", ""]:
        answer = small_assistant.ask(question)
        assert len(answer.question) <= 2000
        assert not answer.is_answer and answer.sentences == (), question  # nothing in them to answer
    # control characters around a real question: cleaned away, and it is answered as asked
    answer = small_assistant.ask("\x00Who scored 31 points\x1b in the final?\x07")
    assert answer.question == "Who scored 31 points in the final?"
    assert answer.is_answer and "Sam Ortiz" in answer.sentences[0].text
    for s in answer.sentences:
        assert small_assistant.article_text(s.citation.article_id)[s.citation.start : s.citation.end] == s.text


def test_refresh_sees_articles_added_after_loading(small_assistant: Assistant, tmp_path: Path) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "n1", "title": "Zoo welcomes panda", "source": "Riverton Post",
                                 "text": "The Riverton zoo welcomed a giant panda named Bao on Sunday."}) + "\n")
    assert not small_assistant.ask("What is the name of the giant panda at the zoo?").is_answer
    embedder = small_assistant.retriever.embedder
    ingest([str(extra)], small_assistant.store.path, lambda: embedder, embedder.name, Chunker(25, 5))
    assert small_assistant.refresh()
    answer = small_assistant.ask("What is the name of the giant panda at the zoo?")
    assert answer.is_answer and "Bao" in answer.sentences[0].text
    assert not small_assistant.refresh()


def test_a_name_no_article_contains_abstains_and_says_which(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("Who scored 31 points for the Zorvath Rockets?")
    assert not answer.is_answer and answer.sentences == ()
    assert answer.unknown_terms == ("Zorvath",)
    assert answer.searched  # the closest articles are still shown
    known = small_assistant.ask("Who scored 31 points for the Riverton Rockets?")
    assert known.is_answer and known.unknown_terms == ()


def test_a_plain_word_no_article_contains_abstains_and_says_which(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("How many points did the Riverton Rockets score with khachapuri?")
    assert not answer.is_answer and answer.unknown_terms == ("khachapuri",)
    # numbers count as names: a year no article gives is reported too
    assert small_assistant.ask("Who scored 31 points for the Riverton Rockets in 1875?").unknown_terms == ("1875",)


def test_the_first_word_is_never_reported_unknown(small_assistant: Assistant) -> None:
    assert small_assistant.ask("Summarise who scored 31 points for the Riverton Rockets").unknown_terms == ()


def test_the_known_words_check_can_be_turned_off(tmp_path: Path, small_corpus_file: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import OverlapScorer, build_index

    embedder = build_index(small_corpus_file, tmp_path / "ix")
    qa = Assistant.load(tmp_path / "ix", AskSettings(require_known_words=False, min_coverage=0), embedder=embedder,
                        scorer=OverlapScorer())
    answer = qa.ask("How many points did the Riverton Rockets score with khachapuri?")
    assert answer.unknown_terms == () and answer.is_answer
    assert qa.ask("Who scored 31 points for the Zorvath Rockets?").unknown_terms == ("Zorvath",)


def test_what_is_asked_for_must_be_in_an_article_with_the_names(small_assistant: Assistant) -> None:
    # the final's article names Sam Ortiz and his points, but no rebounds
    asked = small_assistant.ask("How many rebounds did Sam Ortiz get in the final?")
    assert not asked.is_answer and "rebounds" in asked.uncovered_terms
    answered = small_assistant.ask("How many points did Sam Ortiz score in the final?")
    assert answered.is_answer and "31 points" in answered.sentences[0].text


def test_the_known_names_check_can_be_turned_off(tmp_path: Path, small_corpus_file: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import OverlapScorer, build_index

    embedder = build_index(small_corpus_file, tmp_path / "ix")
    qa = Assistant.load(tmp_path / "ix", AskSettings(require_known_names=False), embedder=embedder,
                        scorer=OverlapScorer())
    answer = qa.ask("Who scored 31 points for the Zorvath Rockets?")
    # the coverage check still finds that no article mentions the name
    assert answer.unknown_terms == () and answer.uncovered_terms == ("Zorvath",) and not answer.is_answer
    qa.settings = AskSettings(require_known_names=False, min_coverage=0)
    answer = qa.ask("Who scored 31 points for the Zorvath Rockets?")
    assert answer.unknown_terms == () and answer.uncovered_terms == () and answer.is_answer


def _indexed(tmp_path: Path, rows: list[dict[str, str]]) -> HashingEmbedder:
    """An index of ``rows`` (article records) at ``tmp_path / "ix"``; returns its embedder."""
    from tests.assistant.conftest import build_index

    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return build_index(corpus, tmp_path / "ix")


def test_a_year_after_the_articles_is_news_they_cannot_hold(tmp_path: Path) -> None:
    from tests.assistant.conftest import OverlapScorer

    embedder = _indexed(tmp_path, [
        {"id": "r1", "title": "Rockets win the final", "date": "2022-06-20", "source": "Sports Daily",
         "text": "The Riverton Rockets won the final on Sunday. Captain Sam Ortiz scored 31 points."},
        {"id": "r2", "title": "League sets its calendar", "date": "2022-06-21", "source": "Sports Daily",
         "text": "The league said the 2024 season will start in May, with a final in Lakeside."},
    ])
    qa = Assistant.load(tmp_path / "ix", embedder=embedder, scorer=OverlapScorer())
    # the article's own year may go unsaid; a later one must be said, and no article on the Rockets says it
    assert qa.ask("Who scored 31 points for the Riverton Rockets in the 2022 final?").is_answer
    # nor is a month or the articles' year looked up as a name no article holds
    assert qa.ask("Who scored 31 points for the Riverton Rockets in June 2022?").unknown_terms == ()
    later = qa.ask("Who scored 31 points for the Riverton Rockets in the 2024 final?")
    assert not later.is_answer and later.unknown_terms == () and "2024" in later.uncovered_terms


def test_a_later_year_is_answered_only_by_a_sentence_that_names_it(tmp_path: Path) -> None:
    from assistant.answer import abstention_notes
    from tests.assistant.conftest import OverlapScorer

    embedder = _indexed(tmp_path, [
        {"id": "r1", "title": "Rockets win the final", "date": "2022-06-20", "source": "Sports Daily",
         "text": "The Riverton Rockets won the final on Sunday. Captain Sam Ortiz scored 31 points in the final. "
                 "Ortiz is to retire in 2024."},
    ])
    qa = Assistant.load(tmp_path / "ix", embedder=embedder, scorer=OverlapScorer())
    question = "Who scored 31 points for the Riverton Rockets in the 2024 final?"
    # the article names 2024, but its sentence on the 31 points is news of 2022, not of a 2024 final
    later = qa.ask(question)
    assert not later.is_answer and later.unreported_years == ("2024",) and later.uncovered_terms == ()
    assert abstention_notes(later) == [
        "No sentence found reports on “2024”: the articles it could come from were published before."
    ]
    off = Assistant.load(
        tmp_path / "ix", AskSettings(later_years_stated=False), embedder=embedder, scorer=OverlapScorer()
    )
    assert any("31 points" in s.text for s in off.ask(question).sentences)
    # a sentence that names the year may answer; the articles' own year needs no saying
    told = qa.ask("Does Ortiz of the Riverton Rockets retire in 2024?")
    assert told.is_answer and told.sentences[0].text == "Ortiz is to retire in 2024."
    assert all("2024" in s.text for s in told.sentences)
    assert qa.ask("Who scored 31 points for the Riverton Rockets in the 2022 final?").is_answer
    # a question about plans asks about no year: news of them seldom restates it
    planned = qa.ask("Who will score 31 points for the Riverton Rockets in the 2024 final?")
    assert planned.is_answer and planned.unreported_years == ()


def test_the_scorer_shares_the_retrievers_embedder_and_its_cache(tmp_path: Path, small_corpus_file: Path) -> None:
    from tests.assistant.conftest import build_index

    embedder = build_index(small_corpus_file, tmp_path / "ix")
    # the packaged scorer weights, no second model (the reader, on real embeddings only, is tested apart)
    qa = Assistant.load(tmp_path / "ix", AskSettings(reader=False), embedder=embedder)
    assert qa.scorer.embedder is qa.retriever.embedder  # type: ignore[attr-defined]
    assert qa.scorer.top_n == qa.settings.scored_sentences == 12  # type: ignore[attr-defined]
    qa.ask("Who scored 31 points in the final?")
    before = embedder.calls
    qa.ask("Who scored 31 points in the final?")
    assert embedder.calls == before  # the question and its sentences came from the cache


def test_sentences_after_the_best_rather_come_from_articles_on_the_questions_subject(tmp_path: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import OverlapScorer

    embedder = _indexed(tmp_path, [
        {"id": "m", "title": "Building collapses in Magnitogorsk", "date": "2019-01-04", "source": "Wire",
         "text": "The Magnitogorsk building collapse left many dead. Rescuers counted 39 bodies there."},
        {"id": "s", "title": "Earthquake hits Samos", "date": "2020-11-01", "source": "Wire",
         "text": "On Samos, many people died when a building wall fell in the collapse. "
                 "People died in another building collapse on the island, many said."},
    ])
    question = "How many people died in the Magnitogorsk building collapse?"

    def answer(weight: float):  # type: ignore[no-untyped-def]
        settings = AskSettings(min_confidence=0.0, min_coverage=0.1, off_subject_weight=weight)
        qa = Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer())
        try:
            return qa.ask(question)
        finally:
            qa.close()

    plain, weighed = answer(1.0), answer(0.3)
    # the best sentence and the confidence are the scorer's either way
    assert plain.sentences[0] == weighed.sentences[0] and plain.confidence == weighed.confidence
    assert plain.sentences[0].citation.article_id == "s"
    # after it: more of the question's words about another disaster, or the article naming Magnitogorsk
    assert plain.sentences[1].citation.article_id == "s"
    assert weighed.sentences[1].citation.article_id == "m"


def test_off_subject_weight_must_be_a_share() -> None:
    import pytest

    from assistant.records import AskSettings

    with pytest.raises(ValueError, match="off_subject_weight"):
        AskSettings(off_subject_weight=1.5)


def test_a_near_date_also_chooses_the_sentence_quoted_first(tmp_path: Path) -> None:
    from assistant.records import AskSettings, Filters
    from tests.assistant.conftest import OverlapScorer

    embedder = _indexed(tmp_path, [
        {"id": "old", "title": "Riverton mayor elected", "date": "2018-05-02", "source": "Post",
         "text": "Riverton elected Ann Lee as mayor of the town. She won by forty votes."},
        {"id": "new", "title": "Riverton votes again", "date": "2022-05-04", "source": "Post",
         "text": "Riverton elected Tom Ruiz as the mayor. He won easily."},
    ])
    settings = AskSettings(min_confidence=0.0, min_coverage=0.0)
    qa = Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer())
    try:
        question = "Who did Riverton elect as mayor of the town?"
        plain = qa.ask(question)
        near = qa.ask(question, filters=Filters(near_date="2022-05-10"))
    finally:
        qa.close()
    assert plain.sentences[0].citation.article_id == "old"  # more of the question's words
    assert near.sentences[0].citation.article_id == "new"  # that week's report
    assert near.confidence == near.sentences[0].score  # its own score, not the preference's


def test_reads_of_the_store_wait_for_a_refresh_to_finish(small_assistant) -> None:  # type: ignore[no-untyped-def]
    """A refresh closes the store it replaces (under the assistant's lock); a read through that
    store meanwhile would crash SQLite, so reads take the same lock."""
    import threading

    article_id = small_assistant.search("bridge", k=1)[0].article_id
    q = Question.of("Why was the bridge closed?")
    reads = {
        "article_text": lambda: small_assistant.article_text(article_id),
        "stats": small_assistant.stats,
        "support": lambda: small_assistant.support(q, small_assistant.search("bridge")),
    }
    for name, read in reads.items():
        done = threading.Event()
        worker = threading.Thread(target=lambda r=read, d=done: (r(), d.set()))
        with small_assistant._lock:  # as refresh holds it
            worker.start()
            assert not done.wait(0.3), f"{name} read the store while the lock was held"
        worker.join(10)
        assert done.is_set(), name


def test_relative_dates_of_quoted_sentences_are_resolved(small_assistant: Assistant) -> None:
    answer = small_assistant.ask("Which championship did the Riverton Rockets win?")
    best = answer.sentences[0]
    assert "won the regional basketball championship on Saturday" in best.text
    # published Monday 2021-05-10: "on Saturday" was two days before
    assert [(d.text, d.value) for d in best.dates] == [("Saturday", "2021-05-08")]
    text = small_assistant.article_text(best.citation.article_id)
    assert all(text[d.start : d.end] == d.text for s in answer.sentences for d in s.dates)


def test_a_short_question_that_may_go_either_way_follows_the_story_it_finds(small_assistant: Assistant) -> None:
    from dataclasses import replace

    from assistant.chat import Turn

    def only_the_bridge_story(chat: Conversation) -> None:
        # the story is the articles the last turn quoted or found closest: here the bridge article
        # alone (three articles are too few to leave any out of the closest five)
        last = chat.turns[-1]
        assert last.answer is not None
        searched = tuple(h for h in last.answer.searched if h.article_id == "a1")
        chat.turns[-1] = Turn(last.question, last.query, replace(last.answer, searched=searched))

    chat = Conversation()
    small_assistant.ask("Why was the Old Mill bridge in Riverton closed?", chat)
    only_the_bridge_story(chat)
    # on the story: its follow-up reading quotes the bridge article
    on_story = small_assistant.ask("What were the engineers inspecting?", chat)
    assert on_story.follow_up_to == "Why was the Old Mill bridge in Riverton closed?"
    assert on_story.is_answer and on_story.sentences[0].citation.article_id == "a1"
    only_the_bridge_story(chat)
    # a new subject: read on its own, and its query carries nothing of the bridge
    new = small_assistant.ask("Which team won the basketball championship?", chat)
    assert new.follow_up_to is None and new.query == "Which team won the basketball championship?"
    assert new.is_answer and new.sentences[0].citation.article_id == "a2"
    assert [t.query for t in chat.turns][-1] == new.query


def test_a_follow_up_can_be_asked_on_its_own(small_assistant: Assistant) -> None:
    chat = Conversation()
    small_assistant.ask("Why was the Old Mill bridge in Riverton closed?", chat)
    alone = small_assistant.ask("When will it reopen?", chat, follow_up=False)
    assert alone.follow_up_to is None and alone.query == "When will it reopen?"
    forced = small_assistant.ask("Which team won the basketball championship?", chat, follow_up=True)
    assert forced.follow_up_to == "When will it reopen?" and forced.query != forced.question


_FITTON = [
    {"id": "f", "title": "British geologist sentenced in Iraq", "date": "2022-06-06", "source": "Wire",
     "text": "Jim Fitton, a retired British geologist, was sentenced in Iraq on Monday for taking shards "
             "from a site. His family said Fitton is 66 and in poor health."},
    {"id": "o", "title": "Weather", "date": "2022-06-06", "source": "Wire",
     "text": "It rained in Leeds on Monday. The old bridge held."},
]


def _follow_up(qa: Assistant):  # type: ignore[no-untyped-def]
    try:
        chat = Conversation()
        assert qa.ask("Which British geologist was sentenced in Iraq?", chat).is_answer
        return qa.ask("How old is he?", chat)
    finally:
        qa.close()


def test_a_follow_ups_confidence_is_read_with_its_context(tmp_path: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import OverlapScorer

    embedder = _indexed(tmp_path, _FITTON)

    def follow_up(in_context: bool):  # type: ignore[no-untyped-def]
        settings = AskSettings(min_confidence=0.5, followup_context_confidence=in_context)
        return _follow_up(Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer()))

    mean, read = follow_up(False), follow_up(True)
    assert "Fitton" in read.query  # the context is in what was searched
    # "How old is he?" alone matches nothing of the story: the mean of the two readings is unsure
    assert not mean.is_answer and mean.confidence < 0.5
    assert read.is_answer and read.confidence > mean.confidence
    assert read.sentences[0].citation.article_id == "f"


def test_a_follow_ups_own_words_weigh_as_much_as_set(tmp_path: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import OverlapScorer

    embedder = _indexed(tmp_path, _FITTON)

    def best(own: float) -> str:
        settings = AskSettings(min_confidence=0.0, followup_own_weight=own)
        answer = _follow_up(Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer()))
        return answer.sentences[0].text

    # read with its own words alone, "How old is he?" matches the weather's "old bridge";
    # with the context alone, the geologist's story comes first
    assert best(1.0) == "The old bridge held."
    assert "Fitton" in best(0.0)
    with pytest.raises(ValueError, match="followup_own_weight"):
        AskSettings(followup_own_weight=1.5)


def test_where_the_reader_rereads_a_follow_up_its_probability_is_the_confidence(tmp_path: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import LengthReader, OverlapScorer

    embedder = _indexed(tmp_path, _FITTON)
    settings = AskSettings(min_confidence=0.0, reader=True, followup_context_confidence=True)
    qa = Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer(),
                        reader=LengthReader(top_n=50))
    answer = _follow_up(qa)
    best = answer.sentences[0]
    assert answer.confidence == best.score == pytest.approx(1 / (1 + np.exp(-(len(best.text) / 10.0 - 2.0))))


def test_a_reader_that_only_orders_leaves_whether_to_answer_to_the_scorer(tmp_path: Path) -> None:
    from assistant.records import AskSettings
    from tests.assistant.conftest import LengthReader, OverlapScorer

    embedder = _indexed(tmp_path, [
        {"id": "f", "title": "Geologist sentenced", "date": "2022-06-06", "source": "Wire",
         "text": "Jim Fitton, a British geologist, was sentenced in Iraq. His family, who live in Bath and "
                 "have campaigned for months with the help of their local member of parliament, said he is unwell."},
    ])
    question = "Which British geologist was sentenced in Iraq?"
    short, long = "Jim Fitton, a British geologist, was sentenced in Iraq.", "His family, who live in Bath"
    scorer = OverlapScorer()
    best = float(scorer.score(question, [short])[0])

    def ask(**settings: object):  # type: ignore[no-untyped-def]
        qa = Assistant.load(tmp_path / "ix", AskSettings(reader=True, typed_weight=0.0, **settings),  # type: ignore[arg-type]
                            embedder=embedder, scorer=scorer, reader=LengthReader(top_n=50))
        try:
            return qa.ask(question)
        finally:
            qa.close()

    # the reader (the stand-in prefers long sentences) puts the long one first; each sentence keeps
    # the scorer's score, and the confidence is the scorer's best, the short sentence's
    ordered = ask(reader_confidence=False, min_confidence=best - 0.01)
    assert ordered.is_answer and ordered.sentences[0].text.startswith(long)
    assert ordered.sentences[0].score < best == pytest.approx(ordered.confidence)
    assert ordered.sentences[1].text == short
    # a threshold above the scorer's best declines, whatever the reader's probabilities
    assert not ask(reader_confidence=False, min_confidence=best + 0.01).is_answer
    read = ask(reader_confidence=True, min_confidence=best + 0.01)
    assert read.is_answer and read.sentences[0].text.startswith(long) and read.confidence > best
