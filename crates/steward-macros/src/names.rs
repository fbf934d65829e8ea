//! Default names from Rust identifiers.

/// `TranslationCompleted` → `["translation", "completed"]`; `GPUMonitor` → `["gpu", "monitor"]`.
fn words(ident: &str) -> Vec<String> {
    let chars: Vec<char> = ident.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (index, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let starts_word = c.is_uppercase()
            && !current.is_empty()
            && (chars[index - 1].is_lowercase()
                || chars.get(index + 1).is_some_and(|next| next.is_lowercase()));
        if starts_word {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `FileWatcher` → `file-watcher`; `check_queue` → `check-queue`.
pub(crate) fn kebab(ident: &str) -> String {
    words(ident).join("-")
}

/// `FileCreated` → `file.created`.
pub(crate) fn dotted(ident: &str) -> String {
    words(ident).join(".")
}

#[cfg(test)]
mod tests {
    use super::{dotted, kebab};

    #[test]
    fn names_split_on_case_and_underscores() {
        assert_eq!(kebab("FileWatcher"), "file-watcher");
        assert_eq!(kebab("GPUMonitor"), "gpu-monitor");
        assert_eq!(kebab("process_batch"), "process-batch");
        assert_eq!(dotted("TranslationCompleted"), "translation.completed");
        assert_eq!(dotted("Tick"), "tick");
    }
}
