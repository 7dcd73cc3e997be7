luminet::network! {
    pub Net: [784] {
        hidden: dense(0) => relu,
        dense(10) => softmax,
    }
}

fn main() {}
