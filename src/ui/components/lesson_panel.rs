//! The narration card of a lesson, over the canvas: the step's title and text, whether its
//! wait condition holds yet, its question, and back / next (also ←/→ in presenter mode and
//! PageUp/PageDown, which presentation clickers send).

use super::console::ConsoleLine;
use crate::scenario::action::Do;
use crate::scenario::lesson::Lesson;
use crate::ui::engine::Shared;
use crate::ui::markdown;
use leptos::prelude::*;

/// Where the lesson stands, refreshed by the page four times a second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LessonAt {
    pub step: Option<usize>,
    /// The step's wait condition holds.
    pub done: bool,
    /// Replaying towards a moment: the buttons wait.
    pub busy: bool,
    /// The cluster has booted far enough for the first step.
    pub can_start: bool,
}

/// Begins the next step (its actions run and are recorded). The session, not the panel's
/// half-second snapshot, says which step shows: a double click cannot run a step twice.
pub fn next(engine: &Shared, steps: usize) {
    let mut e = engine.borrow_mut();
    if e.seek.is_some() {
        return;
    }
    let current = e.session.lesson_step().map(|(n, _)| n);
    let n = current.map_or(0, |s| s + 1);
    if n < steps && (current.is_some() || e.session.can_start()) {
        e.act(Do::Lesson(n));
    }
}

/// Goes back to the beginning of the previous step: the session replays up to it, and the
/// console shows its history once more.
pub fn back(engine: &Shared, console: RwSignal<Vec<ConsoleLine>>) {
    let step = {
        let e = engine.borrow();
        if e.seek.is_some() {
            return;
        }
        e.session.lesson_step().map(|(n, _)| n)
    };
    if let Some(s) = step {
        if engine.borrow_mut().back_to_step(s.saturating_sub(1)).is_ok() {
            console.set(vec![]);
        }
    }
}

#[component]
pub fn LessonPanel(
    engine: Shared,
    lesson: Lesson,
    at: RwSignal<LessonAt>,
    console: RwSignal<Vec<ConsoleLine>>,
) -> impl IntoView {
    let engine = StoredValue::new_local(engine);
    let steps = lesson.steps.len();
    let lesson = StoredValue::new(lesson);
    let answered = RwSignal::new(None::<(usize, usize)>);
    let body = move || {
        let a = at.get();
        let n = a.step.unwrap_or(0);
        lesson.with_value(|l| {
            let step = l.steps.get(n)?.clone();
            let waiting = step.until.clone().filter(|_| !a.done);
            let question = step.question.clone().map(|q| {
                let picked = answered.get().filter(|(s, _)| *s == n).map(|(_, i)| i);
                let buttons = q
                    .answers
                    .iter()
                    .enumerate()
                    .map(|(i, text)| {
                        let class = match picked {
                            Some(p) if i == q.correct && p == i => "answer right",
                            Some(p) if p == i => "answer wrong",
                            _ => "answer",
                        };
                        view! { <button class=class on:click=move |_| answered.set(Some((n, i)))>{text.clone()}</button> }
                    })
                    .collect_view();
                let why = picked.map(|p| {
                    let verdict = if p == q.correct { "Right. " } else { "Not quite. " };
                    view! { <p class="why">{verdict}{q.why.clone()}</p> }
                });
                view! { <div class="question"><p class="ask">{q.ask.clone()}</p>{buttons}{why}</div> }
            });
            Some(view! {
                <h2>{format!("{}. {}", n + 1, step.title)}</h2>
                <div class="narration">{markdown::render(&step.text)}</div>
                {question}
                {waiting.map(|w| view! { <p class="waiting" data-testid="lesson-waiting">"Waiting until: "<code>{w}</code>" …"</p> })}
            })
        })
    };
    view! {
        <section class="lesson" data-testid="lesson" aria-live="polite">
            <header>
                <span class="lesson-title">{lesson.with_value(|l| l.title.clone())}</span>
                <span class="lesson-count" data-testid="lesson-count">
                    {move || match at.get().step {
                        Some(s) => format!("step {} of {steps}", s + 1),
                        None => format!("{steps} steps"),
                    }}
                </span>
            </header>
            {move || {
                if at.get().step.is_none() {
                    let summary = lesson.with_value(|l| l.summary.clone());
                    view! { <p class="narration">{summary}</p> }.into_any()
                } else {
                    body().into_any()
                }
            }}
            <footer>
                <button data-testid="lesson-back" title="Previous step (← or PageUp in presenter mode)"
                    disabled=move || { let a = at.get(); a.busy || a.step.is_none_or(|s| s == 0) }
                    on:click=move |_| engine.with_value(|e| back(e, console))>"◀ Back"</button>
                <button data-testid="lesson-next" title="Next step (→ or PageDown in presenter mode)"
                    class=move || if at.get().done { "next ready" } else { "next" }
                    disabled=move || {
                        let a = at.get();
                        a.busy || a.step.map_or(!a.can_start, |s| s + 1 >= steps)
                    }
                    on:click=move |_| engine.with_value(|e| next(e, steps))>
                    {move || match at.get() {
                        LessonAt { step: None, can_start: false, .. } => "Starting the cluster…",
                        LessonAt { step: None, .. } => "Start ▶",
                        _ => "Next ▶",
                    }}
                </button>
            </footer>
        </section>
    }
}
