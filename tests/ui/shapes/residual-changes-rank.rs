luminet::network! {
    pub Net: [8, 4, 4] {
        block: residual {
            flatten,
            dense(128) => relu,
        },
        dense(10) => softmax,
    }
}

fn main() {}
