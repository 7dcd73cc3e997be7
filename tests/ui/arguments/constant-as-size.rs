const HIDDEN: usize = 128;

luminet::network! {
    pub Net: [784] {
        dense(HIDDEN) => relu,
        dense(10) => softmax,
    }
}

fn main() {}
