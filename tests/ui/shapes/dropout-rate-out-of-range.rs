luminet::network! {
    pub Net: [784] {
        dense(128) => relu,
        dropout(1.5),
        dense(10) => softmax,
    }
}

fn main() {}
