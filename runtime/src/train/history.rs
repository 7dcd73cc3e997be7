//! What `fit` returns: one record per epoch.

use std::fmt;

/// The figures of one epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochLog {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches, weighted by batch size.
    pub loss: f32,
    /// Training accuracy over the epoch.
    pub accuracy: f32,
    /// Loss on the validation data, if any.
    pub val_loss: Option<f32>,
    /// Accuracy on the validation data, if any.
    pub val_accuracy: Option<f32>,
    /// The learning rate the epoch trained at.
    pub lr: f32,
    /// Wall time of the epoch, validation included.
    pub seconds: f32,
}

impl fmt::Display for EpochLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "epoch {} - {:.1}s - loss {:.4} - accuracy {:.4}",
            self.epoch, self.seconds, self.loss, self.accuracy
        )?;
        if let (Some(l), Some(a)) = (self.val_loss, self.val_accuracy) {
            write!(f, " - val_loss {l:.4} - val_accuracy {a:.4}")?;
        }
        write!(f, " - lr {:.2e}", self.lr)
    }
}

/// Every epoch's figures, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// One record per epoch run.
    pub epochs: Vec<EpochLog>,
}

impl History {
    /// The last epoch's record.
    pub fn last(&self) -> Option<&EpochLog> {
        self.epochs.last()
    }

    /// The history as CSV, one row per epoch, empty cells for missing validation figures.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n");
        let opt = |v: Option<f32>| v.map(|x| x.to_string()).unwrap_or_default();
        for e in &self.epochs {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                e.epoch,
                e.loss,
                e.accuracy,
                opt(e.val_loss),
                opt(e.val_accuracy),
                e.lr,
                e.seconds
            ));
        }
        out
    }

    /// The history as JSON: `{"epochs": [{"epoch": 1, "loss": .., ...}, ...]}`, `null` for
    /// missing validation figures.
    pub fn to_json(&self) -> String {
        let num = |v: f32| {
            if v.is_finite() {
                v.to_string()
            } else {
                "null".to_string()
            }
        };
        let opt = |v: Option<f32>| v.map_or("null".to_string(), num);
        let rows: Vec<String> = self
            .epochs
            .iter()
            .map(|e| {
                format!(
                    "{{\"epoch\": {}, \"loss\": {}, \"accuracy\": {}, \"val_loss\": {}, \
                     \"val_accuracy\": {}, \"lr\": {}, \"seconds\": {}}}",
                    e.epoch,
                    num(e.loss),
                    num(e.accuracy),
                    opt(e.val_loss),
                    opt(e.val_accuracy),
                    num(e.lr),
                    num(e.seconds)
                )
            })
            .collect();
        format!("{{\"epochs\": [{}]}}", rows.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json() {
        let e = |epoch, val| EpochLog {
            epoch,
            loss: 0.5,
            accuracy: 0.75,
            val_loss: val,
            val_accuracy: val,
            lr: 0.001,
            seconds: 2.0,
        };
        let h = History {
            epochs: vec![e(1, None), e(2, Some(0.25))],
        };
        let csv = h.to_csv();
        assert_eq!(csv.lines().nth(1), Some("1,0.5,0.75,,,0.001,2"));
        assert_eq!(csv.lines().nth(2), Some("2,0.5,0.75,0.25,0.25,0.001,2"));
        let json = h.to_json();
        assert!(
            json.starts_with("{\"epochs\": [{\"epoch\": 1, \"loss\": 0.5"),
            "{json}"
        );
        assert!(json.contains("\"val_loss\": null") && json.contains("\"val_accuracy\": 0.25"));
    }
}
