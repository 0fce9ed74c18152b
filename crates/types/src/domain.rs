//! The vocabulary of the domain: roles, classes and field descriptions.

use crate::{bounded::Ident, wire_enum, wire_struct};

wire_enum! {
    /// What an enrolled key may do on behalf of its organisation.
    pub enum Role {
        Admin = 0 => "admin",
        Publisher = 1 => "publisher",
        Steward = 2 => "steward",
        Consumer = 3 => "consumer",
        Auditor = 4 => "auditor",
        Notary = 5 => "notary",
        Gateway = 6 => "gateway",
    }
}

wire_enum! {
    /// Whether other agencies may obtain the item, and on what terms.
    pub enum ShareClass {
        Unconditional = 0 => "unconditional",
        Conditional = 1 => "conditional",
        None = 2 => "none",
    }
}

wire_enum! {
    /// Whether the item may be published to the general public.
    pub enum OpenClass {
        Open = 0 => "open",
        Conditional = 1 => "conditional",
        Closed = 2 => "closed",
    }
}

wire_enum! {
    pub enum UpdateFrequency {
        RealTime = 0 => "real-time",
        Daily = 1 => "daily",
        Weekly = 2 => "weekly",
        Monthly = 3 => "monthly",
        Quarterly = 4 => "quarterly",
        Yearly = 5 => "yearly",
        Irregular = 6 => "irregular",
    }
}

wire_enum! {
    pub enum FieldType {
        Text = 0 => "text",
        Integer = 1 => "integer",
        Decimal = 2 => "decimal",
        Boolean = 3 => "boolean",
        Date = 4 => "date",
        DateTime = 5 => "datetime",
        Identifier = 6 => "identifier",
        Geometry = 7 => "geometry",
        Binary = 8 => "binary",
    }
}

wire_enum! {
    /// How harmful disclosure of a field would be; personal and special
    /// category fields are never shared unconditionally.
    pub enum Sensitivity {
        Public = 0 => "public",
        Internal = 1 => "internal",
        Personal = 2 => "personal",
        Special = 3 => "special",
    }
}

impl Sensitivity {
    pub fn is_personal(self) -> bool {
        matches!(self, Sensitivity::Personal | Sensitivity::Special)
    }
}

/// One column of a catalog item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: Ident,
    pub field_type: FieldType,
    pub sensitivity: Sensitivity,
}
wire_struct!(FieldSpec {
    name,
    field_type,
    sensitivity
});
