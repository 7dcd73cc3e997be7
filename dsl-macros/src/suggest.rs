//! "Did you mean": the nearest known word to a misspelled one.

/// The candidate the user most likely meant: the same word up to case and underscores, a
/// known alias, or the nearest within a couple of edits.
pub fn suggest<'c>(
    word: &str,
    candidates: &[&'c str],
    aliases: &[(&str, &'c str)],
) -> Option<&'c str> {
    let word = normalize(word);
    let exact = candidates.iter().find(|c| normalize(c) == word);
    let alias = || {
        let target = aliases
            .iter()
            .find(|(alias, _)| normalize(alias) == word)?
            .1;
        candidates.contains(&target).then_some(target)
    };
    let limit = if word.chars().count() <= 3 { 1 } else { 2 };
    let near = || {
        let scored = candidates
            .iter()
            .map(|c| (distance(&word, &normalize(c)), *c));
        scored
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, _)| *d)
            .map(|(_, c)| c)
    };
    exact.copied().or_else(alias).or_else(near)
}

fn normalize(word: &str) -> String {
    word.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::KEYWORD_ALIASES;

    #[test]
    fn distances() {
        assert_eq!(distance("relu", "relu"), 0);
        assert_eq!(distance("rleu", "relu"), 2);
        assert_eq!(distance("strides", "stride"), 1);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        let params = ["filters", "kernel", "stride", "padding", "dilation", "bias"];
        assert_eq!(suggest("strides", &params, KEYWORD_ALIASES), Some("stride"));
        assert_eq!(
            suggest("kernel_size", &params, KEYWORD_ALIASES),
            Some("kernel")
        );
        assert_eq!(
            suggest("Padding", &params, KEYWORD_ALIASES),
            Some("padding")
        );
        assert_eq!(suggest("groups", &params, KEYWORD_ALIASES), None);
        assert_eq!(suggest("smae", &["same", "valid"], &[]), Some("same"));
    }
}
