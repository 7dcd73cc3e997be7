luminet::network! {
    pub struct Net: [784] {
        dense(10) => softmax,
    }
}

fn main() {}
