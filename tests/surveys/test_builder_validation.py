"""The survey logic validator, the builder's writes (refused when they break the logic), the
branching path, and versioning of a survey with answers."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.translation import override

from engagement.platform.errors import Conflict, InvalidInput
from surveys import selectors, services
from surveys.builder import services as builder
from surveys.flow import SurveyPlan
from surveys.models import (
    Page,
    Question,
    QuestionKind,
    QuestionWording,
    Response,
    ResponseStatus,
    Wave,
)
from surveys.validation import validate_survey


@pytest.fixture
def draft(wave):
    return services.create_template_survey(
        title="分岐テスト", brand_name="さくらカフェ", wave=wave, slug="branching"
    )


def messages(survey):
    with override("ja"):
        return [p.message for p in validate_survey(survey)]


def test_template_survey_is_valid(draft):
    assert messages(draft) == []


def test_reference_to_a_later_question_is_named_in_japanese(draft):
    q = Question.objects.get(survey=draft, key="nps")
    Question.objects.filter(id=q.id).update(show_if={"question": "csat", "min": 1, "max": 2})
    [message] = messages(draft)
    assert "「csat」" in message and "後" in message


def test_reference_to_a_deleted_question(draft):
    Question.objects.filter(survey=draft, key="touchpoint").update(archived_at=timezone.now())
    Question.objects.filter(survey=draft, key="csat").update(
        show_if={"question": "touchpoint", "choice": "app"}
    )
    assert any("「touchpoint」" in m and "削除" in m for m in messages(draft))


def test_unknown_choice_and_wrong_kind(draft):
    Question.objects.filter(survey=draft, key="csat").update(
        show_if={"question": "touchpoint", "choice": "moon"}
    )
    Question.objects.filter(survey=draft, key="ideas").update(
        show_if={"question": "touchpoint", "min": 1}
    )
    found = messages(draft)
    assert any("moon" in m for m in found)
    assert any("数値" in m for m in found)


def test_backward_jump_is_a_cycle_and_unreachable_pages_are_named(draft):
    pages = list(draft.pages.order_by("position"))
    pages[2].jumps = [{"if": {}, "goto": pages[0].id}]
    pages[2].save()
    assert any("ループ" in m for m in messages(draft))
    pages[2].jumps = [{"if": {}, "goto": pages[4].id}]  # always skips page 4
    pages[2].save()
    [message] = messages(draft)
    assert "4" in message and "到達できません" in message
    # A conditional jump leaves page 4 reachable.
    pages[2].jumps = [{"if": {"question": "nps", "nps_category": "promoter"}, "goto": "end"}]
    pages[2].save()
    assert messages(draft) == []


def test_jump_to_a_deleted_page(draft):
    page = draft.pages.get(position=1)
    page.jumps = [{"if": {}, "goto": 999999}]
    page.save()
    assert any("存在しない" in m for m in messages(draft))


def test_incomplete_questions_block_opening_but_not_saving(draft):
    page = draft.pages.get(position=5)
    builder.save_question(
        survey=draft,
        page=page,
        question=None,
        fields={"key": "rank", "kind": QuestionKind.RANKING, "text": "順位", "required": False},
        choices=[],
        now=timezone.now(),
    )
    with override("ja"), pytest.raises(InvalidInput) as exc:
        services.open_survey(survey=draft)
    assert "選択肢" in exc.value.message


def test_builder_refuses_a_save_that_breaks_the_logic(draft):
    csat = Question.objects.get(survey=draft, key="csat")
    with override("ja"), pytest.raises(InvalidInput) as exc:
        builder.save_question(
            survey=draft,
            page=csat.page,
            question=csat,
            fields={"show_if": {"question": "ideas", "min": 1}},
            choices=[],
            now=timezone.now(),
        )
    assert "「ideas」" in exc.value.message
    csat.refresh_from_db()
    assert csat.show_if == {}  # rolled back
    # Deleting a question others refer to is refused too.
    with pytest.raises(InvalidInput):
        builder.delete_question(
            question=Question.objects.get(survey=draft, key="nps"), now=timezone.now()
        )
    assert Question.objects.filter(survey=draft, key="nps").exists()


def test_path_follows_jumps_page_conditions_and_url_parameters(draft):
    pages = list(draft.pages.order_by("position"))
    pages[0].jumps = [{"if": {"question": "nps", "min": 0, "max": 3}, "goto": pages[3].id}]
    pages[0].save()
    pages[4].show_if = {"param": "src", "equals": ["store"]}
    pages[4].save()
    pages[2].jumps = [{"if": {"question": "aw_like", "max": 1}, "goto": "end"}]
    pages[2].save()
    plan = SurveyPlan.read(draft)
    assert [p.position for p in plan.path({"nps": 2})] == [1, 4]
    assert [p.position for p in plan.path({"nps": 2, "?src": "store"})] == [1, 4, 5]
    assert [p.position for p in plan.path({"nps": 9, "aw_like": 1, "?src": "store"})] == [1, 2, 3]
    assert plan.param_names() == {"src"}


def test_rewording_and_deleting_in_a_survey_with_answers_versions_it(survey):
    from tests.surveys.conftest import FULL_ANSWERS

    services.submit_response(
        survey=survey, invitation=None, answers=FULL_ANSWERS, now=timezone.now()
    )
    ideas = Question.objects.get(survey=survey, key="ideas")
    old = ideas.text
    builder.save_question(
        survey=survey,
        page=ideas.page,
        question=ideas,
        fields={"text": "ご要望をお聞かせください。"},
        choices=[],
        now=timezone.now(),
    )
    survey.refresh_from_db()
    assert survey.version == 2
    wording = QuestionWording.objects.get(question=ideas)
    assert wording.text == old and wording.version == 1
    with pytest.raises(Conflict):
        builder.save_question(
            survey=survey,
            page=ideas.page,
            question=ideas,
            fields={"kind": QuestionKind.SHORT_TEXT},
            choices=[],
            now=timezone.now(),
        )
    # Comparisons say when the wording changed: within the wave (a new version) ...
    [change] = selectors.compare_waves(wave_a=survey.wave, wave_b=survey.wave).wording_changes
    assert change.key == "ideas" and change.before == old and change.changed_at is not None
    # ... and between waves (a copy for the next wave, reworded there).
    later = Wave.objects.create(name="2027年上期", starts_on="2027-04-01", ends_on="2027-09-30")
    copy = services.copy_survey(survey=survey, wave=later, slug="next-wave")
    Question.objects.filter(survey=copy, key="csat").update(text="満足度をお聞かせください。")
    changes = selectors.compare_waves(wave_a=survey.wave, wave_b=later).wording_changes
    assert ("csat", None) in [(c.key, c.changed_at) for c in changes]
    builder.delete_question(question=ideas, now=timezone.now())
    ideas.refresh_from_db()
    assert ideas.archived_at is not None and ideas.answers.count() == 1  # answers kept
    assert "ideas" not in SurveyPlan.read(survey).by_key()


def test_survey_closes_after_n_answers_and_test_answers_never_count(survey):
    from tests.surveys.conftest import FULL_ANSWERS

    survey.max_responses = 1
    survey.save()
    test = services.start_response(survey=survey, invitation=None, now=timezone.now(), is_test=True)
    services.save_answers(response=test, values=FULL_ANSWERS, now=timezone.now())
    test = services.complete_response(response=test, now=timezone.now())
    assert test.status == ResponseStatus.TEST_DONE and test.is_test
    survey.refresh_from_db()
    assert survey.status == "open"  # the test did not count
    services.submit_response(
        survey=survey, invitation=None, answers=FULL_ANSWERS, now=timezone.now()
    )
    survey.refresh_from_db()
    assert survey.status == "closed"
    with pytest.raises(Conflict):
        services.submit_response(
            survey=survey, invitation=None, answers=FULL_ANSWERS, now=timezone.now()
        )
    assert Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETED).count() == 1


def test_page_position_renumbering(draft):
    page = builder.add_page(survey=draft, title="空")
    assert page.position == 6
    builder.move_page(page=page, direction=-1)
    assert Page.objects.get(id=page.id).position == 5
    builder.delete_page(page=Page.objects.get(id=page.id))
    assert list(draft.pages.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_a_staff_test_does_not_lock_the_design(draft):
    from tests.surveys.conftest import FULL_ANSWERS

    test = services.start_response(survey=draft, invitation=None, now=timezone.now(), is_test=True)
    services.save_answers(response=test, values=FULL_ANSWERS, now=timezone.now())
    services.complete_response(response=test, now=timezone.now())
    assert not builder.has_real_answers(draft)
    ideas = Question.objects.get(survey=draft, key="ideas")
    services.check_question_change(question=ideas, delete=True)  # no Conflict
    builder.delete_question(question=ideas, now=timezone.now())
    assert not Question.objects.filter(id=ideas.id).exists()  # deleted, not archived


def test_the_model_admin_question_form_is_validated_too(draft):
    from surveys.admin.questions import QuestionForm

    nps = Question.objects.get(survey=draft, key="nps")
    page5 = draft.pages.get(position=5)
    data = {
        "survey": draft.id,
        "page": page5.id,  # after the reasons whose conditions use it
        "position": 9,
        "key": "nps",
        "kind": "nps",
        "role": "nps",
        "text": nps.text,
        "required": "on",
        "max_length": 5000,
    }
    with override("ja"):
        form = QuestionForm(data=data, instance=nps)
        assert not form.is_valid()
    assert any("「nps」" in e and "後" in e for e in form.non_field_errors())
    nps.refresh_from_db()
    assert nps.page.position == 1
