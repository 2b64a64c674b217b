//! Narration on the page: [`crate::scenario::narration`]'s blocks as DOM nodes holding text.

use crate::scenario::narration::{blocks, Block, Run, Style};
use leptos::prelude::*;

fn inline(runs: Vec<Run>) -> impl IntoView {
    runs.into_iter()
        .map(|(style, text)| match style {
            Style::Plain => text.into_any(),
            Style::Bold => view! { <strong>{text}</strong> }.into_any(),
            Style::Italic => view! { <em>{text}</em> }.into_any(),
            Style::Code => view! { <code>{text}</code> }.into_any(),
        })
        .collect_view()
}

pub fn render(text: &str) -> impl IntoView {
    blocks(text)
        .into_iter()
        .map(|b| match b {
            Block::Paragraph(runs) => view! { <p>{inline(runs)}</p> }.into_any(),
            Block::List(items) => {
                view! { <ul>{items.into_iter().map(|i| view! { <li>{inline(i)}</li> }).collect_view()}</ul> }.into_any()
            }
        })
        .collect_view()
}
