luminet::network! {
    pub Net: [20, 8] {
        dense(16),
        batch_norm => relu,
        flatten,
        dense(1),
    }
}

fn main() {}
