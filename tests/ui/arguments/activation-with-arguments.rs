luminet::network! {
    pub Net: [784] {
        dense(128) => relu(0.1),
        dense(10) => softmax,
    }
}

fn main() {}
