"""Each role lands on its own dashboard at `/`; a user with several roles reaches the others."""

import pytest

from portal.models import Role

HEADINGS = {
    Role.ADMIN: "Administration",
    Role.CHAIR: "Committee",
    Role.REVIEWER: "My reviews",
    Role.FINANCE: "Finance",
    Role.APPLICANT: "My library",
}


def test_anonymous_home_is_the_public_front_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Co-financing of public library projects" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_dashboard(client, create_user, login_as, role):
    login_as(create_user(role))
    html = client.get("/").get_data(as_text=True)
    assert "<h1" in html and HEADINGS[role] in html
    for other, heading in HEADINGS.items():
        if other != role:
            assert f">{heading}</h1>" not in html


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_of_a_role_not_held_is_forbidden(client, create_user, login_as, role):
    others = [r for r in Role if r != role]
    login_as(create_user(others[0]))
    assert client.get(f"/dashboard/{role.value}").status_code == 403


def test_dashboard_needs_sign_in(client):
    response = client.get("/dashboard/admin")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_dashboard_is_404(client, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    assert client.get("/dashboard/wizard").status_code == 404


def test_user_with_several_roles_sees_links_to_each(client, create_user, login_as):
    login_as(create_user(Role.CHAIR, Role.REVIEWER))
    html = client.get("/").get_data(as_text=True)
    assert ">Committee</h1>" in html or "Committee</h1>" in html
    assert 'href="/dashboard/reviewer"' in html and 'href="/dashboard/chair"' in html
    assert "My reviews" in client.get("/dashboard/reviewer").get_data(as_text=True)


def test_applicant_dashboard_shows_pending_registration(client, create_user, create_organisation,
                                                         login_as):
    from portal.models import OrganisationStatus

    org = create_organisation(status=OrganisationStatus.PENDING)
    login_as(create_user(Role.APPLICANT, organisation=org))
    html = client.get("/").get_data(as_text=True)
    assert org.short_name in html
    assert "can apply once the registration is approved" in html


def test_user_without_role_is_welcomed(client, create_user, login_as):
    login_as(create_user())
    assert "has no role yet" in client.get("/").get_data(as_text=True)


def test_applicant_dashboard_lists_the_librarys_applications_a_page_at_a_time(
    client, monkeypatch, create_application, create_organisation, create_user, login_as
):
    import portal.views.main
    from portal.models import ApplicationStatus

    org = create_organisation()
    me = create_user(Role.APPLICANT, organisation=org)
    mine = [create_application(author=me, title=f"Проект {n}",
                               status=ApplicationStatus.SUBMITTED if n else
                               ApplicationStatus.DRAFT) for n in range(3)]
    create_application(title="Чужой проект")  # another library's
    monkeypatch.setattr(portal.views.main, "APPLICATIONS_PER_PAGE", 2)
    login_as(me)

    first = client.get("/dashboard/applicant").get_data(as_text=True)
    second = client.get("/dashboard/applicant?page=2").get_data(as_text=True)
    # The newest first; each on one page; another library's on none.
    assert "Проект 2" in first and "Проект 1" in first and "Проект 0" not in first
    assert "Проект 0" in second and "Проект 2" not in second
    assert "Чужой проект" not in first + second
    assert "Page 1 of 2" in first and 'href="/dashboard/applicant?page=2"' in first
    assert "Page 2 of 2" in second and 'href="/dashboard/applicant?page=1"' in second
    assert f'href="/applications/{mine[0].id}"' in second
    assert "Complete the sections and submit" in second  # the draft, its call open
    assert "Wait for the committee's screening" in first
    # Beyond the last page: the last page.
    beyond = client.get("/dashboard/applicant?page=9")
    assert beyond.status_code == 200 and "Page 2 of 2" in beyond.get_data(as_text=True)
    # One page: no pager.
    monkeypatch.setattr(portal.views.main, "APPLICATIONS_PER_PAGE", 3)
    html = client.get("/").get_data(as_text=True)
    assert all(f"Проект {n}" in html for n in range(3)) and "Page 1 of" not in html
