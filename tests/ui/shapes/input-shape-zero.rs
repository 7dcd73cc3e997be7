luminet::network! {
    pub Net: [1, 0, 28] {
        conv2d(8, 3),
        flatten,
        dense(10),
    }
}

fn main() {}
