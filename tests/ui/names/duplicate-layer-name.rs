luminet::network! {
    pub Net: [784] {
        hidden: dense(128) => relu,
        hidden: dense(64) => relu,
        dense(10) => softmax,
    }
}

fn main() {}
