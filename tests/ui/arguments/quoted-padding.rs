luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(32, 3, padding = "same") => relu,
        flatten,
        dense(10),
    }
}

fn main() {}
