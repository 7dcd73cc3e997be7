luminet::network! {
    pub Net: [1, 6, 6] {
        conv2d(8, 3) => relu,
        max_pool2d(2),
        max_pool2d(3),
        flatten,
        dense(10),
    }
}

fn main() {}
