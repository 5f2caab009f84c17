"""Plain-language descriptions of answers, for the review page."""
from training.quizzes.grading import grade

NO_ANSWER = "No answer"


def _choice_texts(slot, ids):
    by_id = {c["id"]: c["text"] for c in slot.data.get("choices", [])}
    return [by_id[i] for i in ids if i in by_id]


def answer_text(slot):
    """The trainee's answer in words."""
    response = slot.response
    if response in (None, "", [], {}):
        return NO_ANSWER
    if slot.qtype == "single_choice":
        return ", ".join(_choice_texts(slot, [response])) or NO_ANSWER
    if slot.qtype == "multiple_choice":
        return " · ".join(_choice_texts(slot, response if isinstance(response, list) else [response])) or NO_ANSWER
    if slot.qtype == "true_false":
        return {"true": "True", "false": "False"}.get(response, NO_ANSWER)
    if slot.qtype == "matching":
        return "; ".join(f"{pair['item']} → {response.get(str(i), '(none)')}"
                         for i, pair in enumerate(slot.data["pairs"]))
    return str(response)


def right_text(slot):
    """The answer that earns full marks, in words."""
    data = slot.data
    if slot.qtype == "single_choice":
        best = max(data["choices"], key=lambda c: c["weight"])
        return best["text"]
    if slot.qtype == "multiple_choice":
        return " · ".join(c["text"] for c in data["choices"] if c["weight"] > 0)
    if slot.qtype == "true_false":
        return "True" if data["answer"] else "False"
    if slot.qtype == "short_answer":
        return " or ".join(a["text"].replace("*", "…") for a in data["answers"] if a["weight"] == 100)
    if slot.qtype == "matching":
        return "; ".join(f"{p['item']} → {p['match']}" for p in data["pairs"])
    if slot.qtype == "numerical":
        answer = max(data["answers"], key=lambda a: a["weight"])
        if "min" in answer:
            return f"between {answer['min']:g} and {answer['max']:g}"
        tolerance = f" (± {answer['tolerance']:g})" if answer.get("tolerance") else ""
        return f"{answer['value']:g}{tolerance}"
    return ""


def feedback_for(slot):
    """Feedback written for the answer the trainee gave."""
    if slot.response is None:
        return []
    return [text for text in grade(slot.qtype, slot.data, slot.response).feedback if text]
