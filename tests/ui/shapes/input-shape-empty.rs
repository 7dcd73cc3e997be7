luminet::network! {
    pub Net: [] {
        dense(10) => softmax,
    }
}

fn main() {}
