//! The lessons' Markdown subset — paragraphs, `- ` lists, **bold**, *italic* and `code` —
//! parsed into text runs. The page builds DOM nodes holding text from them: nothing is ever
//! parsed as HTML, so `<script>` in a lesson or a link shows up as those characters.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Bold,
    Italic,
    Code,
}

pub type Run = (Style, String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Run>),
    List(Vec<Vec<Run>>),
}

/// Paragraphs are separated by blank lines; a block whose lines all start with `- ` is a list.
pub fn blocks(text: &str) -> Vec<Block> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let lines: Vec<&str> = block.lines().map(str::trim).collect();
            if lines.iter().all(|l| l.starts_with("- ")) {
                Block::List(lines.iter().map(|l| runs(&l[2..])).collect())
            } else {
                Block::Paragraph(runs(&lines.join(" ")))
            }
        })
        .collect()
}

/// Splits a line into styled runs; an unmatched marker stays literal.
pub fn runs(line: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        // The earliest marker wins; at one position `**` before `*`.
        let next = [("`", Style::Code), ("**", Style::Bold), ("*", Style::Italic)]
            .into_iter()
            .filter_map(|(m, style)| {
                let start = rest.find(m)?;
                let end = rest[start + m.len()..].find(m)? + start + m.len();
                Some((start, end, m.len(), style))
            })
            .min_by_key(|(start, _, len, _)| (*start, usize::MAX - len));
        match next {
            Some((start, end, len, style)) => {
                if start > 0 {
                    out.push((Style::Plain, rest[..start].to_string()));
                }
                out.push((style, rest[start + len..end].to_string()));
                rest = &rest[end + len..];
            }
            None => {
                out.push((Style::Plain, rest.to_string()));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_split_and_unmatched_markers_stay() {
        assert_eq!(
            runs("a **b** `c*d` *e* 2*3"),
            vec![
                (Style::Plain, "a ".into()),
                (Style::Bold, "b".into()),
                (Style::Plain, " ".into()),
                (Style::Code, "c*d".into()),
                (Style::Plain, " ".into()),
                (Style::Italic, "e".into()),
                (Style::Plain, " 2*3".into()),
            ]
        );
        assert_eq!(runs("<script>alert(1)</script>"), vec![(Style::Plain, "<script>alert(1)</script>".into())]);
    }

    #[test]
    fn paragraphs_and_lists() {
        let b = blocks("One\ntwo.\n\n- a\n- **b**\n\n");
        assert_eq!(b.len(), 2);
        assert_eq!(b[0], Block::Paragraph(vec![(Style::Plain, "One two.".into())]));
        assert_eq!(b[1], Block::List(vec![vec![(Style::Plain, "a".into())], vec![(Style::Bold, "b".into())]]));
    }
}
