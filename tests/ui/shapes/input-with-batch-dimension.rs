luminet::network! {
    pub Net: [64, 1, 28, 28] {
        conv2d(8, 3),
        flatten,
        dense(10),
    }
}

fn main() {}
