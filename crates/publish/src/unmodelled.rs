//! Finds the parts of a distribution config that the pinned aws-sdk-cloudfront does not model:
//! elements of the XML CloudFront sent that are missing from the XML the SDK would send back.
//! An update built from the SDK's types would drop them, so `publish` and `rollback` refuse.

use std::collections::BTreeSet;

/// The elements under `root` in `read` that have no counterpart in `sent`, as slash-separated
/// paths of element names (`Origins/Items/Origin/OriginShield`), outermost only. Both are whole
/// XML documents holding one `root` element; list positions are ignored, names are compared.
pub fn dropped_elements(read: &str, sent: &str, root: &str) -> Result<Vec<String>, String> {
    let read = element_paths(read, root).map_err(|e| format!("the XML CloudFront sent: {e}"))?;
    let sent = element_paths(sent, root).map_err(|e| format!("the XML the SDK would send: {e}"))?;
    let mut dropped: Vec<String> = Vec::new();
    for path in read.difference(&sent) {
        // Sorted, so a dropped parent comes before its children.
        if !dropped.iter().any(|parent| path.starts_with(&format!("{parent}/"))) {
            dropped.push(path.clone());
        }
    }
    Ok(dropped)
}

/// Every element path under the first element named `root`, relative to it.
fn element_paths(xml: &str, root: &str) -> Result<BTreeSet<String>, String> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, ..roxmltree::ParsingOptions::default() };
    let doc = roxmltree::Document::parse_with_options(xml, options).map_err(|e| e.to_string())?;
    let top = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == root)
        .ok_or_else(|| format!("no <{root}> element"))?;
    let mut paths = BTreeSet::new();
    collect(top, "", &mut paths);
    Ok(paths)
}

fn collect(node: roxmltree::Node<'_, '_>, prefix: &str, paths: &mut BTreeSet<String>) {
    for child in node.children().filter(roxmltree::Node::is_element) {
        let path = if prefix.is_empty() {
            child.tag_name().name().to_owned()
        } else {
            format!("{prefix}/{}", child.tag_name().name())
        };
        collect(child, &path, paths);
        paths.insert(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <Id>E1</Id>
  <DistributionConfig>
    <Comment>shop</Comment>
    <Origins><Quantity>2</Quantity><Items>
      <Origin><Id>alb</Id><DomainName>a.example</DomainName></Origin>
      <Origin><Id>b</Id><DomainName>b.example</DomainName>
        <FutureShield><Enabled>true</Enabled><Region>eu-west-1</Region></FutureShield></Origin>
    </Items></Origins>
    <NewTopLevelSetting>on</NewTopLevelSetting>
  </DistributionConfig>
</Distribution>"#;

    const SENT: &str = r#"<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <Comment>shop, edited</Comment>
  <Origins><Quantity>2</Quantity><Items>
    <Origin><Id>alb</Id><DomainName>a.example</DomainName></Origin>
    <Origin><Id>b</Id><DomainName>b.example</DomainName></Origin>
  </Items></Origins>
</DistributionConfig>"#;

    #[test]
    fn names_each_dropped_element_once_at_its_outermost_point() {
        assert_eq!(
            dropped_elements(READ, SENT, "DistributionConfig").unwrap(),
            ["NewTopLevelSetting", "Origins/Items/Origin/FutureShield"]
        );
    }

    #[test]
    fn a_faithful_round_trip_drops_nothing_whatever_the_values() {
        let sent = SENT
            .replace(
                "<DomainName>b.example</DomainName></Origin>",
                "<DomainName>b.example</DomainName><FutureShield><Enabled>false</Enabled><Region>x</Region></FutureShield></Origin>",
            )
            .replace("</Origins>", "</Origins><NewTopLevelSetting>off</NewTopLevelSetting>");
        assert_eq!(dropped_elements(READ, &sent, "DistributionConfig").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn elements_outside_the_root_do_not_count() {
        let read =
            READ.replace("<Id>E1</Id>", "<Id>E1</Id><InProgressInvalidationBatches>0</InProgressInvalidationBatches>");
        assert_eq!(dropped_elements(&read, SENT, "DistributionConfig").unwrap().len(), 2);
    }

    #[test]
    fn broken_xml_is_an_error_that_says_whose() {
        let e = dropped_elements("<Distribution>", SENT, "DistributionConfig").unwrap_err();
        assert!(e.starts_with("the XML CloudFront sent:"), "{e}");
        let e = dropped_elements(READ, "<Other/>", "DistributionConfig").unwrap_err();
        assert_eq!(e, "the XML the SDK would send: no <DistributionConfig> element");
    }
}
